package engine

// What the tests of package engine_test share with the recogniser: its tokeniser and its
// tables of spellings. The reference model (resolve_ref_test.go) matches and scores by
// itself.

// AtomForTest is an atom of a text (vtext.go).
type AtomForTest struct {
	Text  string
	Word  int
	Digit bool
}

// AtomsForTest cuts s into atoms as the recogniser does.
func AtomsForTest(s string) []AtomForTest {
	as, _ := atomize(s, nil)
	out := make([]AtomForTest, len(as))
	for i, a := range as {
		out[i] = AtomForTest{a.text, a.word, a.digit}
	}
	return out
}

// MakeSpellingsForTest is a make's name and its aliases; ModelSpellingsForTest a model name's
// segments and whether all of them together are one more alternative.
var (
	MakeSpellingsForTest  = makeSpellings
	ModelSpellingsForTest = modelSpellings
)

// VehicleNamesForTest builds the name index of v's catalog afresh and returns it (to keep
// it alive) and its size: terms, makes, models, distinct submodels, rows and typo keys.
func (v *View) VehicleNamesForTest() (any, [6]int) {
	ix := buildCatalogNames(v.cat)
	return ix, [6]int{len(ix.termText), len(ix.makes), len(ix.models), len(ix.subs), len(ix.rows), len(ix.typo)}
}

// SetSwapHook makes every swap and rollback call f between its stages ("derived", after
// the tenants are rebased; "caught up", before the publish); nil removes it.
func SetSwapHook(f func(stage string)) { swapHook = f }
