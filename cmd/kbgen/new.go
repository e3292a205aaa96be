package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/kbgen/kbgen/internal/site"
)

func newCmd() *command {
	var root, lang, code, title, slug string
	return &command{
		name:  "new",
		usage: "[-root dir] [-lang code] [-code error-code] -title title [-slug name]",
		short: "start a new article from the section schema",
		long: `
New writes content/<lang>/<slug>.md: frontmatter that passes the checks
(title, errorText, tags, updatedAt set to now, lang, and the error code) and
every section of the schema in kbgen.yaml, each holding a placeholder line.
kbgen check warns about each placeholder until it is replaced. New prints the
path of the file, and never overwrites an existing one.

The file name is made from the ASCII words of the title and the code, in
lower case ("Access denied" and 0x80070005 give access-denied-0x80070005.md;
a Japanese title gives 0x80070005.md); -slug chooses it instead. -lang
defaults to kbgen.yaml's defaultLang, or else its first language.

Examples:

	kbgen new -lang ja -code 0x80070005 -title "Windows Update でアクセスが拒否される 0x80070005"
	kbgen new -lang en -code 0xC004F074 -title "KMS activation fails" -slug kms-activation-fails
	$EDITOR "$(kbgen new -code 0x800F0922 -title "更新プログラムのインストールに失敗")"
`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&root, "root", ".", "site root: the directory holding content/ and kbgen.yaml")
			fs.StringVar(&lang, "lang", "", "language of the article (default: kbgen.yaml's defaultLang or first language)")
			fs.StringVar(&code, "code", "", "the article's primary error code, e.g. 0x80070005")
			fs.StringVar(&title, "title", "", "the article's title (required); also its errorText until edited")
			fs.StringVar(&slug, "slug", "", "file name without .md (default: made from the title and code)")
		},
		run: func(ctx context.Context, _ *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
			if len(args) > 0 {
				return fmt.Errorf("%w: unexpected argument %q (quote the title: -title \"…\")", errUsage, args[0])
			}
			if title == "" {
				return fmt.Errorf("%w: -title is required", errUsage)
			}
			cfg, diags := site.LoadConfig(os.DirFS(root))
			if diags.HasErrors() {
				writeDiags(stderr, diags, "text")
				return errFailed
			}
			file, text, err := cfg.Scaffold(site.Scaffold{Lang: lang, Code: code, Title: title, Slug: slug, Now: time.Now()})
			if err != nil {
				return fmt.Errorf("%w: %v", errUsage, err)
			}
			if err := create(filepath.Join(root, filepath.FromSlash(file)), text); err != nil {
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("%s already exists: edit it, or choose another name with -slug", file)
				}
				return err
			}
			_, err = fmt.Fprintln(stdout, file)
			return err
		},
	}
}

// create writes a new file, failing with fs.ErrExist if there is one:
// O_EXCL makes the check and the creation one step, so an article written
// meanwhile is not overwritten either.
func create(name string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name) // do not leave half an article
	}
	return err
}
