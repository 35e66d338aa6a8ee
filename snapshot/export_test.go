package snapshot

// HandCatalog is the hand-made catalog of the fixtures, for the index package's test of
// the version-2 fixture and its text index.
var HandCatalog = handCatalog
