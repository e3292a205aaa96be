package site

import (
	"bytes"
	"fmt"
	"path"

	"github.com/tdewolff/minify/v2"
	"github.com/tdewolff/minify/v2/css"
	"github.com/tdewolff/minify/v2/js"
)

// minifier shrinks the stylesheets and scripts the site publishes. The
// sources in templates/assets stay readable and commented; an article page
// must stay under its weight budget (60 KB of HTML, CSS and JS), which the
// commented sources alone exceed. A real parser is used rather than
// stripping comments with patterns, which breaks strings and regular
// expressions that contain "//" or "/*".
type minifier struct{ m *minify.M }

func newMinifier() minifier {
	m := minify.New()
	m.Add("text/css", &css.Minifier{})
	m.Add("application/javascript", &js.Minifier{})
	return minifier{m}
}

// minify returns data minified when name is a stylesheet or script, and data
// unchanged otherwise.
func (mf minifier) minify(name string, data []byte) ([]byte, error) {
	var mime string
	switch path.Ext(name) {
	case ".css":
		mime = "text/css"
	case ".js":
		mime = "application/javascript"
	default:
		return data, nil
	}
	var out bytes.Buffer
	if err := mf.m.Minify(mime, &out, bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("minify %s: %w", name, err)
	}
	return out.Bytes(), nil
}
