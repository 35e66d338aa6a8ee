package ingest

import (
	"html"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/microcosm-cc/bluemonday"
)

// newPolicy is the description allow-list of catalog-format.md, exactly: p, br, h2-h4,
// ul, ol, li, strong, em, a[href], img[src,alt], table, tr, td, th. Links and images
// must be parseable http(s), mailto or relative URLs (no javascript:).
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "table", "tr", "td", "th")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("src", "alt").OnElements("img")
	p.RequireParseableURLs(true)
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(true)
	return p
}

// looksHTML reports whether a description holds markup: a '<' that opens a tag, an end
// tag or a comment. Text like "torque < 10 Nm" is plain.
func looksHTML(s string) bool {
	for {
		i := strings.IndexByte(s, '<')
		if i < 0 || i+1 >= len(s) {
			return false
		}
		c := s[i+1]
		if c == '/' || c == '!' || (c|0x20 >= 'a' && c|0x20 <= 'z') {
			return true
		}
		s = s[i+1:]
	}
}

// plainToHTML escapes plain text and wraps it in paragraphs: blank lines separate
// paragraphs, a single line break becomes <br>.
func plainToHTML(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s) + 16)
	for para := range strings.SplitSeq(s, "\n\n") {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		b.WriteString("<p>")
		for i, l := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>")
			}
			b.WriteString(html.EscapeString(strings.TrimSpace(l)))
		}
		b.WriteString("</p>")
	}
	return b.String()
}

// sanitizeDescription turns a source description into the sanitised HTML of a part.
func sanitizeDescription(p *bluemonday.Policy, s string) string {
	if s == "" {
		return ""
	}
	if !looksHTML(s) {
		return plainToHTML(s)
	}
	if out, ok := sanitizeSimple(s); ok {
		return strings.TrimSpace(out)
	}
	return strings.TrimSpace(p.Sanitize(s))
}

// bareTags are the allowed elements that need no attribute.
var bareTags = map[string]bool{
	"p": true, "br": true, "h2": true, "h3": true, "h4": true, "ul": true, "ol": true, "li": true,
	"strong": true, "em": true, "table": true, "tr": true, "td": true, "th": true,
}

// sanitizeSimple is a fast path for the common description made only of allowed tags
// without attributes and text without entities. For such input it returns what
// bluemonday returns (FuzzSanitizeSimple checks this), at a fraction of the cost; for
// anything else ok is false.
func sanitizeSimple(s string) (out string, ok bool) {
	var b strings.Builder
	b.Grow(len(s) + len(s)/16)
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		text := s
		if i >= 0 {
			text = s[:i]
		}
		if strings.ContainsAny(text, "&>\x00\r") {
			return "", false
		}
		if strings.ContainsAny(text, `"'`) {
			b.WriteString(html.EscapeString(text))
		} else {
			b.WriteString(text)
		}
		if i < 0 {
			break
		}
		s = s[i:]
		j := strings.IndexByte(s, '>')
		if j < 0 {
			return "", false
		}
		name, closing := strings.CutPrefix(s[1:j], "/")
		if !bareTags[name] || closing && name == "br" {
			return "", false
		}
		b.WriteString(s[:j+1])
		s = s[j+1:]
	}
	return b.String(), true
}

// sanitizeAll sanitises every description of raw in place on all cores and returns at
// once; wait blocks until it is done. Each worker owns whole parts, so no map or field
// is touched by two goroutines.
func sanitizeAll(raw []rawPart) (wait func()) {
	pol := newPolicy() // a Policy is safe for concurrent use once built
	var next atomic.Int64
	const chunk = 512
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(raw) {
					return
				}
				hi := min(lo+chunk, len(raw))
				for i := lo; i < hi; i++ {
					d := &raw[i].detail
					d.Description = sanitizeDescription(pol, d.Description)
					for lang, v := range d.Descriptions {
						d.Descriptions[lang] = sanitizeDescription(pol, v)
					}
				}
			}
		}()
	}
	return wg.Wait
}
