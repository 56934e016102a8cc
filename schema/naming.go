package schema

import (
	"crypto/sha3"
	"encoding/base64"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PathSeparator joins the parts of a nested name: a child table `opportunity__line_items`,
// a flattened column `owner__name`, a variant `amount__v_text`. dlt calls it the path
// separator; normalization keeps it, so Salesforce custom names keep their `__c`.
const PathSeparator = "__"

// EmptyIdentifier is what a blank name (empty or only white space) normalizes to. dlt's
// relational normalizer uses the same word for empty keys in the data.
const EmptyIdentifier = "_empty"

// Maximum identifier lengths of the destinations, as dlt declares them in their
// capabilities (max_identifier_length). Postgres cuts names at NAMEDATALEN-1 = 63 bytes;
// DuckDB has no practical limit, dlt uses 65536.
const (
	PostgresMaxIdentifierLength = 63
	DuckDBMaxIdentifierLength   = 65536
)

// DefaultCollisionProbability is dlt's target probability of two long names sharing
// a shortening tag; it fixes the tag at 4 bytes of SHAKE128, 6 base64 characters.
const DefaultCollisionProbability = 0.001

// Naming is dlt's snake_case naming convention for one destination: MaxLength is the
// longest identifier the destination accepts, in bytes; 0 means no limit. The zero
// value is ready to use. Use PostgresNaming, DuckDBNaming, or Naming{MaxLength: n}.
type Naming struct {
	// MaxLength is the destination's identifier limit in bytes; names longer than it
	// are shortened with Shorten. 0 (or negative) means no limit.
	MaxLength int
}

// PostgresNaming is the naming convention with Postgres' 63-byte identifier limit.
var PostgresNaming = Naming{MaxLength: PostgresMaxIdentifierLength}

// DuckDBNaming is the naming convention with DuckDB's (practically absent) limit.
var DuckDBNaming = Naming{MaxLength: DuckDBMaxIdentifierLength}

// NormalizeIdentifier normalizes a source name (a Salesforce field, a JSON key) into a
// column identifier with no length limit. See Naming.NormalizeIdentifier.
func NormalizeIdentifier(s string) string { return Naming{}.NormalizeIdentifier(s) }

// NormalizeTableName normalizes a resource or object name into a table identifier with
// no length limit. See Naming.NormalizeTableName.
func NormalizeTableName(s string) string { return Naming{}.NormalizeTableName(s) }

// NormalizePath normalizes the parts of a nested name and joins them with `__`, with
// no length limit. See Naming.NormalizePath.
func NormalizePath(parts ...string) string { return Naming{}.NormalizePath(parts...) }

// NormalizeIdentifier normalizes a source name into an identifier the way dlt's
// relational normalizer treats a key (dlt's normalize_path): the name is split on `__`,
// each non-blank part goes through the snake_case rules and is shortened to the limit,
// the parts are re-joined with `__` and the result is shortened again, tagged with a hash
// of the whole original name. So `Account__c` -> `account__c` and
// `Location__Latitude__s` -> `location__latitude__s`.
//
// The snake_case rules, in dlt's order: trim white space (Python's idea of it); map
// `+ - * @ |` to `x _ x a l`; replace every run of characters other than ASCII letters,
// decimal digits (any script, as Python's \d) and `_` with one `_`; break words
// (`([^_])([A-Z][a-z]+)` then `([a-z0-9])([A-Z])`, with `_`), lowercase; prefix `_` when
// the name starts with a digit; turn each trailing `_` into `x`; collapse runs of `_`.
//
// Two cases where dlt would fail or return an empty name get a usable one instead: a
// blank name gives EmptyIdentifier (as dlt does for empty keys in data), and a name made
// only of `__` separators (e.g. `____`, which dlt turns into "") is normalized as one
// part (`xxxx`). The result is never empty and never starts with a digit.
func (n Naming) NormalizeIdentifier(s string) string {
	stripped := pyStrip(s)
	if stripped == "" {
		return EmptyIdentifier
	}
	var parts []string
	for _, p := range strings.Split(s, PathSeparator) {
		if pyStrip(p) != "" {
			parts = append(parts, n.normalizePart(p))
		}
	}
	if len(parts) == 0 {
		return n.normalizePart(stripped)
	}
	return Shorten(strings.Join(parts, PathSeparator), s, n.MaxLength)
}

// NormalizeTableName normalizes a resource or object name into a table identifier. The
// rules are those of NormalizeIdentifier (dlt's normalize_tables_path): `Opportunity` ->
// `opportunity`, `OpportunityLineItem` -> `opportunity_line_item`, `Product2` ->
// `product2`. Note that the Salesforce source names some resources itself (`sf_user`
// for User, `product_2` for Product2): those names are already normalized and map to
// themselves.
func (n Naming) NormalizeTableName(s string) string { return n.NormalizeIdentifier(s) }

// NormalizePath builds the name of a nested table or flattened column from the source
// names along its path (`NormalizePath("Opportunity", "LineItems")` ->
// `opportunity__line_items`): each part is normalized with NormalizeIdentifier, the parts
// are joined with `__`, and the joined name is shortened, tagged with a hash of itself
// (dlt's shorten_fragments).
func (n Naming) NormalizePath(parts ...string) string {
	if len(parts) == 0 {
		return EmptyIdentifier
	}
	norm := make([]string, len(parts))
	for i, p := range parts {
		norm[i] = n.NormalizeIdentifier(p)
	}
	return n.JoinPath(norm...)
}

// JoinPath joins already normalized identifiers with `__` and shortens the result,
// tagged with a hash of itself (dlt's shorten_fragments). Use it to build child table
// names from normalized parent names.
func (n Naming) JoinPath(normalized ...string) string {
	joined := strings.Join(normalized, PathSeparator)
	return Shorten(joined, joined, n.MaxLength)
}

// VariantName is the name of the variant column that holds the values of column
// (a normalized name) that could not be coerced to its type: `<column>__v_<type>`, e.g.
// `amount__v_text`, shortened like any path.
func (n Naming) VariantName(column string, t DataType) string {
	return n.JoinPath(column, "v_"+string(t))
}

// normalizePart applies the snake_case rules to one part (no `__` splitting) and shortens
// the result, tagged with a hash of the stripped part (dlt's normalize_identifier).
func (n Naming) normalizePart(s string) string {
	s = pyStrip(s)
	return Shorten(snakeCase(s), s, n.MaxLength)
}

var (
	snakeBreak1 = regexp.MustCompile(`([^_])([A-Z][a-z]+)`)
	snakeBreak2 = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	underscores = regexp.MustCompile(`__+`)
)

// snakeCase applies the snake_case rules to a stripped part.
func snakeCase(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 4)
	inRun := false
	for _, r := range s {
		switch r {
		case '+', '*':
			r = 'x'
		case '-':
			r = '_'
		case '@':
			r = 'a'
		case '|':
			r = 'l'
		}
		// Python's `\d` in dlt's character class is Unicode-aware: digits of any script
		// (category Nd) survive, everything else outside [a-zA-Z_] becomes one `_` per run.
		if r == '_' || (r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')) || unicode.IsDigit(r) {
			b.WriteRune(r)
			inRun = false
			continue
		}
		if !inRun {
			b.WriteByte('_')
			inRun = true
		}
	}
	id := b.String()
	id = snakeBreak1.ReplaceAllString(id, "${1}_${2}")
	id = strings.ToLower(snakeBreak2.ReplaceAllString(id, "${1}_${2}"))
	if r, _ := utf8.DecodeRuneInString(id); unicode.IsDigit(r) {
		id = "_" + id
	}
	trimmed := strings.TrimRight(id, "_")
	if k := len(id) - len(trimmed); k > 0 {
		id = trimmed + strings.Repeat("x", k)
	}
	return underscores.ReplaceAllString(id, "_")
}

// pyStrip trims what Python's str.strip() trims: Unicode white space plus the ASCII
// separators U+001C..U+001F, which Go's unicode.IsSpace does not count. Matching Python
// here matters: a separator left in place would become a trailing `x`.
func pyStrip(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
	})
}

// tagBytes is dlt's tag length for DefaultCollisionProbability: the 1.5x factor covers the
// bits lost by lowercasing base64.
var tagBytes = int(math.Floor(3*math.Log2(1/DefaultCollisionProbability)/8) + 1)

// tagAlphabet turns base64's `/` and `+` into `a` and `b`, as dlt does, so that the tag
// is a valid identifier, and lowercases the rest.
var tagAlphabet = strings.NewReplacer("/", "a", "+", "b")

// Tag is dlt's shortening tag of an original (not normalized) identifier: SHAKE128 of its
// UTF-8 bytes, 4 bytes long, base64 with `/+` as `ab`, lowercased, no padding (6 chars).
func Tag(original string) string {
	sum := sha3.SumSHAKE128([]byte(original), tagBytes)
	return strings.ToLower(tagAlphabet.Replace(base64.RawStdEncoding.EncodeToString(sum)))
}

// Shorten returns normalized unchanged when it fits maxLen bytes (or maxLen <= 0) and
// otherwise dlt's deterministic short form: the head and tail of normalized with the Tag
// of original in the middle, exactly maxLen long (the head takes the odd byte). The tag
// is computed from the original name so that two long names that normalize alike still
// get different short forms.
//
// dlt counts characters; Shorten counts bytes, because Postgres' limit is in bytes. The
// two agree on ASCII, which is all a normalized name holds except for non-ASCII digits;
// with those, the cut moves to a character boundary and the result may be a byte or two
// shorter than maxLen. A maxLen below the tag length (6) yields a prefix of the tag.
func Shorten(normalized, original string, maxLen int) string {
	if maxLen <= 0 || len(normalized) <= maxLen {
		return normalized
	}
	tag := Tag(original)
	if maxLen <= len(tag) {
		return tag[:maxLen]
	}
	remaining := maxLen - len(tag)
	head := remaining/2 + remaining%2
	tail := len(normalized) - remaining/2
	for head > 0 && !utf8.RuneStart(normalized[head]) {
		head--
	}
	for tail < len(normalized) && !utf8.RuneStart(normalized[tail]) {
		tail++
	}
	return normalized[:head] + tag + normalized[tail:]
}

// CollisionError reports two different source names that normalize to the same
// identifier within one table, so both cannot be loaded as columns.
type CollisionError struct {
	Table      string // the table (or object) the names belong to
	Identifier string // the identifier both normalize to
	First      string // the first source name seen
	Second     string // the source name that collided with it
}

// Error says which names collide and what to do about it.
func (e *CollisionError) Error() string {
	return fmt.Sprintf("schema: table %q: source names %q and %q both normalize to column %q; "+
		"exclude one of the two fields from the resource or rename one of them in Salesforce",
		e.Table, e.First, e.Second, e.Identifier)
}

// ColumnNames normalizes the source names of one table, returning the identifiers in the
// same order. Two different source names that normalize alike return a *CollisionError
// naming both; an exact duplicate of a source name is not a collision.
func (n Naming) ColumnNames(table string, sourceNames []string) ([]string, error) {
	out := make([]string, len(sourceNames))
	seen := make(map[string]string, len(sourceNames))
	for i, src := range sourceNames {
		id := n.NormalizeIdentifier(src)
		if first, ok := seen[id]; ok && first != src {
			return nil, &CollisionError{Table: table, Identifier: id, First: first, Second: src}
		}
		seen[id] = src
		out[i] = id
	}
	return out, nil
}

// CheckCollisions reports (as a *CollisionError) the first pair of different source
// names in one table that normalize to the same identifier, or nil.
func (n Naming) CheckCollisions(table string, sourceNames []string) error {
	_, err := n.ColumnNames(table, sourceNames)
	return err
}
