package main

import (
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
)

// workflowFile is the CI recipe the README documents: check on pull
// requests, build and publish to GitHub Pages from main.
const workflowFile = "../../.github/workflows/kb.yml"

// TestWorkflowLint runs actionlint over the workflow, as a library, so a
// broken recipe fails the test suite instead of the first pull request that
// uses it. The shellcheck and pyflakes integrations stay off: they need
// external programs, and the run: scripts are one-line kbgen calls.
func TestWorkflowLint(t *testing.T) {
	src, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range lintWorkflow(t, workflowFile, src) {
		t.Errorf("%s:%d:%d: %s [%s]", e.Filepath, e.Line, e.Column, e.Message, e.Kind)
	}

	// The linter must be live: a workflow with a mistake fails.
	bad := "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ steps.nope.outputs.x }}\n"
	if errs := lintWorkflow(t, "bad.yml", []byte(bad)); len(errs) == 0 {
		t.Errorf("actionlint found nothing wrong in a workflow using an undefined step")
	}
}

// lintWorkflow lints src as the workflow at path. The shellcheck and
// pyflakes integrations are off (their executables are left empty); a
// .github/actionlint.yaml, if the repository ever has one, is honoured as
// the actionlint command would.
func lintWorkflow(t *testing.T, path string, src []byte) []*actionlint.Error {
	t.Helper()
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
		LogWriter: io.Discard,
		Color:     actionlint.ColorOptionKindNever,
	})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(path, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// TestWorkflowRecipe checks what the workflow does, from its parsed form:
// pull requests run kbgen check with GitHub annotations, and a push to main
// builds with the Pages base URL and deploys.
func TestWorkflowRecipe(t *testing.T) {
	src, err := os.ReadFile(workflowFile)
	if err != nil {
		t.Fatal(err)
	}
	wf, errs := actionlint.Parse(src)
	if len(errs) > 0 {
		t.Fatalf("parse %s: %v", workflowFile, errs[0])
	}

	events := make(map[string]*actionlint.WebhookEvent)
	for _, e := range wf.On {
		if we, ok := e.(*actionlint.WebhookEvent); ok {
			events[we.EventName()] = we
		}
	}
	if events["pull_request"] == nil {
		t.Errorf("workflow does not run on pull_request")
	}
	push := events["push"]
	if push == nil {
		t.Fatalf("workflow does not run on push")
	}
	if push.Branches == nil || !slices.ContainsFunc(push.Branches.Values, func(s *actionlint.String) bool { return s.Value == "main" }) {
		t.Errorf("workflow's push trigger is not limited to the main branch")
	}

	// jobFor returns the jobs that event runs; hasRun reports whether one
	// of jobs has a run: step containing all of words; uses whether one of
	// them uses action.
	jobFor := func(event string) []*actionlint.Job {
		var jobs []*actionlint.Job
		for _, j := range wf.Jobs {
			if runsOn(j, event) {
				jobs = append(jobs, j)
			}
		}
		return jobs
	}
	hasRun := func(jobs []*actionlint.Job, words ...string) bool {
		for _, j := range jobs {
			for _, st := range j.Steps {
				r, ok := st.Exec.(*actionlint.ExecRun)
				if !ok || r.Run == nil {
					continue
				}
				all := true
				for _, w := range words {
					all = all && strings.Contains(r.Run.Value, w)
				}
				if all {
					return true
				}
			}
		}
		return false
	}
	uses := func(jobs []*actionlint.Job, action string) bool {
		for _, j := range jobs {
			for _, st := range j.Steps {
				if a, ok := st.Exec.(*actionlint.ExecAction); ok && a.Uses != nil && strings.HasPrefix(a.Uses.Value, action+"@") {
					return true
				}
			}
		}
		return false
	}

	pr := jobFor("pull_request")
	if !hasRun(pr, "kbgen", "check", "-format github") {
		t.Errorf("no job run on pull_request runs kbgen check -format github")
	}
	if hasRun(pr, "kbgen", "build") || uses(pr, "actions/deploy-pages") {
		t.Errorf("a job run on pull_request builds or deploys the site")
	}
	main := jobFor("push")
	if !hasRun(main, "kbgen", "build", "-base-url") {
		t.Errorf("no job run on push to main runs kbgen build -base-url")
	}
	if !uses(main, "actions/upload-pages-artifact") || !uses(main, "actions/deploy-pages") {
		t.Errorf("no job run on push to main uploads and deploys to GitHub Pages")
	}
}

// runsOn reports whether job j runs for event, judging by its if: condition
// in the two forms a recipe uses: github.event_name == 'x' and != 'x'.
func runsOn(j *actionlint.Job, event string) bool {
	if j.If == nil {
		return true
	}
	cond := strings.Join(strings.Fields(j.If.Value), " ")
	for _, q := range []string{"'", `"`} {
		for _, op := range []string{"==", "!="} {
			prefix := "github.event_name " + op + " " + q
			name, ok := strings.CutPrefix(cond, prefix)
			if !ok {
				continue
			}
			name, ok = strings.CutSuffix(name, q)
			if !ok {
				continue
			}
			return (name == event) == (op == "==")
		}
	}
	return true // a condition this test cannot read: assume it may run
}
