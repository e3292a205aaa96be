package markdown

import (
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
)

// Structural limits that keep parsing linear on hostile input.
//
// goldmark v1.8.7 has three quadratic paths (measured; issue 7 asks that no
// input take more than linear time):
//
//   - container nesting on one line ("- - - - …", "> > > …"): for every new
//     level goldmark rescans the rest of the line (thematic-break test,
//     line offset), so 20,000 levels take 1.5 s and a 1 MB line of "- "
//     about 15 minutes;
//   - emphasis and strikethrough delimiters: at the end of a paragraph each
//     closer searches back through every earlier delimiter it cannot pair
//     with, so a 300 KB line of "*_a" takes 100 s;
//   - link openers: every "]" followed by "(" scans the destination to the
//     next space, so 200 KB of "[a](" take 20 s.
//
// Each is bounded per container or per inline block (paragraph, heading,
// table cell) far above what an article uses. Past a limit the markup is
// text: the 129th nested container marker on a line starts a paragraph,
// the 257th "[" or delimiter run of a paragraph is a literal character. The
// work is then at most a constant times the input, and nothing that
// renders differently ever comes near a limit.
const (
	maxNesting       = 128 // open container blocks: 64 list levels (list + item) or 128 block quotes
	maxLinkOpeners   = 256 // "[" and "![" per inline block
	maxDelimiterRuns = 256 // runs of "*", "_" or "~" per inline block
)

// nestingGuard is a block parser tried before every container parser. Below
// maxNesting it declines; at the limit it opens a paragraph holding the
// rest of the line, so no deeper block is opened and the line is text.
type nestingGuard struct {
	paragraph parser.BlockParser
}

func newNestingGuard() *nestingGuard {
	return &nestingGuard{paragraph: parser.NewParagraphParser()}
}

// Trigger lists the characters that can open a container: block quote,
// bullet and ordered list markers.
func (g *nestingGuard) Trigger() []byte {
	return []byte{'>', '-', '+', '*', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'}
}

func (g *nestingGuard) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	depth := 0 // containers open around the new block; the document is not one
	for n := parent; n != nil && n.Kind() != ast.KindDocument && depth < maxNesting; n = n.Parent() {
		depth++
	}
	if depth < maxNesting {
		return nil, parser.NoChildren
	}
	return g.paragraph.Open(parent, reader, pc)
}

func (g *nestingGuard) Continue(node ast.Node, reader text.Reader, pc parser.Context) parser.State {
	return g.paragraph.Continue(node, reader, pc)
}

func (g *nestingGuard) Close(node ast.Node, reader text.Reader, pc parser.Context) {
	g.paragraph.Close(node, reader, pc)
}

// CanInterruptParagraph is true so the guard is consulted wherever a list
// or block quote could start.
func (g *nestingGuard) CanInterruptParagraph() bool { return true }

func (g *nestingGuard) CanAcceptIndentedLine() bool { return false }

// inlineGuard is an inline parser tried before the link, emphasis and
// strikethrough parsers. It counts link openers and delimiter runs in each
// inline block and declines (so the real parser runs) until the block has
// used its allowance; after that it takes the characters as plain text.
type inlineGuard struct {
	key parser.ContextKey // per-document state: the inlineBudget of the block being parsed
}

// inlineBudget is what one inline block has used. goldmark parses the
// inline content of one block at a time, so a change of block resets it.
type inlineBudget struct {
	block   ast.Node
	openers int
	runs    int
}

func newInlineGuard() *inlineGuard {
	return &inlineGuard{key: parser.NewContextKey()}
}

func (g *inlineGuard) Trigger() []byte { return []byte{'[', '!', '*', '_', '~'} }

func (g *inlineGuard) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, seg := block.PeekLine()
	if len(line) == 0 {
		return nil
	}
	b, _ := pc.Get(g.key).(*inlineBudget)
	if b == nil || b.block != parent {
		b = &inlineBudget{block: parent}
		pc.Set(g.key, b)
	}
	n := 1 // bytes taken as text past the limit
	switch c := line[0]; c {
	case '!':
		if len(line) < 2 || line[1] != '[' {
			return nil
		}
		n = 2
		fallthrough
	case '[':
		if b.openers < maxLinkOpeners {
			b.openers++
			return nil
		}
		// One text node for a run of "[": the link parser walks the
		// block's nodes when a "]" closes, so their number matters.
		for n < len(line) && line[n] == '[' {
			n++
		}
	default: // '*', '_', '~': the whole run is one delimiter
		for n < len(line) && line[n] == c {
			n++
		}
		if b.runs < maxDelimiterRuns {
			b.runs++
			return nil
		}
	}
	block.Advance(n)
	return ast.NewTextSegment(text.NewSegment(seg.Start, seg.Start+n))
}
