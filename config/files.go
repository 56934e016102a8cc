package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// tomlFile is one TOML file, read or looked for.
type tomlFile struct {
	path    string
	secrets bool // secrets.toml (may hold secrets) rather than config.toml
	exists  bool
	tree    map[string]any
	lines   map[string]int // joinPath(path) -> line of the key
	// lineStarts are the offsets at which lines start, to turn offsets into line numbers.
	lineStarts []int
}

// parse decodes a TOML file and records the line of every key.
func (f *tomlFile) parse(data []byte) error {
	f.exists = true
	f.tree = map[string]any{}
	if err := toml.Unmarshal(data, &f.tree); err != nil {
		f.tree = nil
		return syntaxError(f.path, f.secrets, data, err)
	}
	f.lines = map[string]int{}
	f.lineStarts = []int{0}
	for i, c := range data {
		if c == '\n' {
			f.lineStarts = append(f.lineStarts, i+1)
		}
	}
	var p unstable.Parser
	p.Reset(data)
	var table []string
	inArray := false // keys of arrays of tables are not addressable by a path
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			table, inArray = keyParts(e.Key()), false
			f.record(table, e.Key())
		case unstable.ArrayTable:
			inArray = true
		case unstable.KeyValue:
			if !inArray {
				f.recordKeyValue(table, e)
			}
		}
	}
	return nil
}

func (f *tomlFile) recordKeyValue(table []string, kv *unstable.Node) {
	path := append(slices.Clone(table), keyParts(kv.Key())...)
	f.record(path, kv.Key())
	if v := kv.Value(); v.Kind == unstable.InlineTable {
		it := v.Children()
		for it.Next() {
			if child := it.Node(); child.Kind == unstable.KeyValue {
				f.recordKeyValue(path, child)
			}
		}
	}
}

func (f *tomlFile) record(path []string, key unstable.Iterator) {
	if !key.Next() {
		return
	}
	k := key.Node()
	// The line is the number of line starts at or before the key (Parser.Shape would rescan the
	// document from the top for every key).
	line, _ := slices.BinarySearch(f.lineStarts, int(k.Raw.Offset)+1)
	// The tables a key or header implies ([a.b.c] implies a and a.b) are placed at its line
	// unless they appear earlier, so that messages about them name a line too.
	for i := range path {
		if _, seen := f.lines[joinPath(path[:i+1])]; !seen {
			f.lines[joinPath(path[:i+1])] = line
		}
	}
}

func keyParts(it unstable.Iterator) []string {
	var parts []string
	for it.Next() {
		parts = append(parts, string(it.Node().Data))
	}
	return parts
}

// joinPath makes a map key of a path; NUL cannot appear in a TOML key.
func joinPath(path []string) string { return strings.Join(path, "\x00") }

// get returns the value at path, if set (an empty string is not set).
func (f *tomlFile) get(path []string) (any, bool) {
	if !f.exists || f.tree == nil {
		return nil, false
	}
	var cur any = f.tree
	for _, k := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	if s, ok := cur.(string); ok && s == "" {
		return nil, false
	}
	return cur, true
}

// getFold is get with path[i] matched regardless of case (an object's API name, which
// Salesforce matches so); it returns the path as the file spells it. An exact match wins.
func (f *tomlFile) getFold(path []string, i int) ([]string, any, bool) {
	if v, ok := f.get(path); ok {
		return path, v, true
	}
	parent, _ := f.get(path[:i])
	m, ok := parent.(map[string]any)
	if !ok {
		return nil, nil, false
	}
	for _, k := range sortedKeys(m) {
		if k != path[i] && strings.EqualFold(k, path[i]) {
			at := slices.Concat(path[:i], []string{k}, path[i+1:])
			if v, ok := f.get(at); ok {
				return at, v, true
			}
		}
	}
	return nil, nil, false
}

func (f *tomlFile) origin(path []string) string {
	if line := f.lines[joinPath(path)]; line > 0 {
		return fmt.Sprintf("%s:%d", f.path, line)
	}
	return f.path
}

var quoted = regexp.MustCompile(`"[^"]*"`)

// knownKey reports whether the key side of a line ends in a key sfdlt reads, so that it is
// safe to show.
func knownKey(key string) bool {
	parts := strings.Split(strings.TrimSpace(key), ".")
	last := strings.Trim(strings.TrimSpace(parts[len(parts)-1]), `"'`)
	for _, keys := range [][]keySpec{salesforceKeys, objectKeys, postgresFields, pipelineKeys} {
		for _, k := range keys {
			if k.name == last {
				return true
			}
		}
	}
	return last == "credentials"
}

// syntaxError describes a TOML syntax error with file, line, column and the offending line,
// with any value that may be a secret hidden.
func syntaxError(path string, secrets bool, data []byte, err error) error {
	// The parser's messages can quote bits of the input (a bad number, a bad date): drop them.
	msg := quoted.ReplaceAllString(strings.TrimPrefix(err.Error(), "toml: "), `"…"`)
	var de *toml.DecodeError
	if !errors.As(err, &de) {
		return fmt.Errorf("%s: not valid TOML: %s: fix the file (TOML: key = \"value\" lines under [section] headers)", path, msg)
	}
	line, col := de.Position()
	text := ""
	if lines := strings.Split(string(data), "\n"); line >= 1 && line <= len(lines) {
		text = strings.TrimRight(lines[line-1], "\r")
	}
	shown, whole := quoteLine(text, secrets)
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: TOML syntax error: %s\n", path, line, col, msg)
	prefix := fmt.Sprintf("  %d | ", line)
	b.WriteString(prefix + shown + "\n")
	if whole && col >= 1 && col <= len(text)+1 {
		b.WriteString(strings.Repeat(" ", len(prefix)-2) + "| " + strings.Repeat(" ", col-1) + "^\n")
	}
	b.WriteString(`fix this line: TOML wants key = "value" lines (strings in quotes) under [section] headers such as [sources.salesforce]`)
	return errors.New(b.String())
}

// quoteLine returns the line as it may be shown, and whether it is shown whole. In a secrets
// file nothing after an "=" is shown, nor a line that is not a header or key line.
func quoteLine(line string, secrets bool) (string, bool) {
	t := strings.TrimSpace(line)
	switch {
	case t == "":
		return line, true
	case strings.HasPrefix(t, "["):
		return line, true
	case strings.HasPrefix(t, "#"):
		if secrets {
			return "# (comment not shown: secrets.toml may hold secrets)", false
		}
		return line, true
	}
	if key, _, ok := strings.Cut(line, "="); ok {
		switch {
		case secrets && !knownKey(key):
			// Perhaps a line inside a multi-line PEM key or a pasted token, which can hold "=".
			return "(line not shown: secrets.toml may hold secrets)", false
		case secrets || isSecretName(key):
			return strings.TrimRight(key, " \t") + " = (value not shown: it may be a secret)", false
		}
		return line, true
	}
	if secrets {
		return "(line not shown: secrets.toml may hold secrets)", false
	}
	return line, true
}

// secretNames are key names whose values are never shown, wherever they appear.
var secretNames = []string{"password", "security_token", "client_id", "client_secret", "private_key",
	"refresh_token", "session_id", "credentials", "token", "secret", "api_key"}

func isSecretName(key string) bool {
	key = strings.ToLower(strings.TrimSpace(key))
	for _, s := range secretNames {
		if strings.Contains(key, s) {
			return true
		}
	}
	return false
}
