package diag

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText writes one line per diagnostic, "file:line:col: severity: message".
// With color set, the severity is coloured with ANSI escapes (for terminals).
func WriteText(w io.Writer, l List, color bool) error {
	var b strings.Builder
	for _, d := range l {
		sev := d.Severity.String()
		if color {
			if d.Severity == Error {
				sev = "\x1b[1;31m" + sev + "\x1b[0m"
			} else {
				sev = "\x1b[1;33m" + sev + "\x1b[0m"
			}
		}
		fmt.Fprintf(&b, "%s: %s: %s\n", d.Pos, sev, oneLine(d.Msg))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine folds a message that spans lines (a YAML library's, say) onto
// one, so that each problem stays one line of output for tools that read
// it line by line.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// jsonDiagnostic is the stable JSON shape of a diagnostic; see WriteJSON.
type jsonDiagnostic struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
}

// WriteJSON writes l as a JSON document of this shape, which is stable:
//
//	{"diagnostics": [{"file": "content/ja/a.md", "line": 3, "col": 1,
//	  "severity": "error", "message": "..."}], "errors": 1, "warnings": 0}
func WriteJSON(w io.Writer, l List) error {
	out := struct {
		Diagnostics []jsonDiagnostic `json:"diagnostics"`
		Errors      int              `json:"errors"`
		Warnings    int              `json:"warnings"`
	}{Diagnostics: []jsonDiagnostic{}}
	for _, d := range l {
		out.Diagnostics = append(out.Diagnostics, jsonDiagnostic{d.Pos.File, d.Pos.Line, d.Pos.Col, d.Severity, d.Msg})
	}
	out.Errors, out.Warnings = l.Count()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// WriteGitHub writes l as GitHub Actions workflow commands
// (::error file=…,line=…,col=…::message), so that problems show as
// annotations on the pull request's changed lines.
func WriteGitHub(w io.Writer, l List) error {
	var b strings.Builder
	for _, d := range l {
		fmt.Fprintf(&b, "::%s file=%s", d.Severity, ghProperty(d.Pos.File))
		if d.Pos.Line > 0 {
			fmt.Fprintf(&b, ",line=%d", d.Pos.Line)
		}
		if d.Pos.Col > 0 {
			fmt.Fprintf(&b, ",col=%d", d.Pos.Col)
		}
		fmt.Fprintf(&b, "::%s\n", ghData(d.Msg))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ghData escapes a workflow command's message, as the Actions toolkit does.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// ghProperty escapes a workflow command's property value.
func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
