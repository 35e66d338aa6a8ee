package ingest

import (
	"strings"
	"testing"
)

func TestSanitizeDescription(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Plain & simple", "<p>Plain &amp; simple</p>"},
		{"torque < 10 Nm", "<p>torque &lt; 10 Nm</p>"},
		{"one\ntwo\n\n\nthree", "<p>one<br>two</p><p>three</p>"},
		{"<p><strong>Kit – EBC</strong></p><ul><li>Easy.</li></ul>", "<p><strong>Kit – EBC</strong></p><ul><li>Easy.</li></ul>"},
		{`<p>It's "new"</p>`, "<p>It&#39;s &#34;new&#34;</p>"},
		{`<p onclick="x()">hi</p><script>alert(1)</script>`, "<p>hi</p>"},
		{`<a href="https://x.eu/a?b=1&amp;c=2" target="_blank">x</a><a href="javascript:alert(1)">y</a>`, `<a href="https://x.eu/a?b=1&amp;c=2">x</a>y`},
		{`<img src="/i.png" alt="pad" width="3"><h1>T</h1><h2>S</h2><div>d</div>`, `<img src="/i.png" alt="pad">T<h2>S</h2>d`},
		{`<table><tr><th>a</th><td>b</td></tr></table>`, `<table><tr><th>a</th><td>b</td></tr></table>`},
	}
	pol := newPolicy()
	for _, tt := range tests {
		if got := sanitizeDescription(pol, tt.in); got != tt.want {
			t.Errorf("sanitizeDescription(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSanitizeSimple checks the fast path against bluemonday wherever it applies.
func FuzzSanitizeSimple(f *testing.F) {
	for _, s := range []string{"<p>a</p>", "<p>It's \"x\"</p>", "<br><br/></br>", "<ul><li>x<li>y</ul>", "<P>x</P>", "a>b", "<p>é – ü</p>", "<strong><em>x</em></strong>", "<table><td>x"} {
		f.Add(s)
	}
	pol := newPolicy()
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := sanitizeSimple(s)
		if !ok {
			return
		}
		if slow := pol.Sanitize(s); strings.TrimSpace(fast) != strings.TrimSpace(slow) {
			t.Errorf("sanitizeSimple(%q): got %q, want bluemonday's %q", s, fast, slow)
		}
	})
}
