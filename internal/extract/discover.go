package extract

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/sfdlt/sfdlt/client"
	"github.com/sfdlt/sfdlt/internal/normalize"
	"github.com/sfdlt/sfdlt/schema"
)

// Whole-org loads (Source.AllObjects): every object the global describe lists as queryable joins
// the run as a resource, unless it is a resource already (the standard ones keep their dlt names:
// User stays sf_user) or it is not ordinary data:
//
//   - platform events (__e) and change events (*ChangeEvent): streams, not stored records; most are
//     not queryable at all;
//   - external objects (__x): their rows live in another system, and every query is a callout to it;
//   - big objects (__b): queries must filter on their index fields, so they cannot be read whole;
//   - objects marked deprecatedAndHidden.
//
// Include and Exclude patterns (path.Match globs on the API name, case-insensitive: "*__c",
// "*History") narrow the rest.

// leftOutKind says why an object of the global describe is not ordinary data ("" when it is).
func leftOutKind(o client.SObjectSummary) string {
	name := strings.ToLower(o.Name)
	switch {
	case !o.Queryable:
		return "not queryable"
	case o.DeprecatedAndHidden:
		return "deprecated and hidden"
	case strings.HasSuffix(name, "__e"):
		return "a platform event"
	case strings.HasSuffix(name, "changeevent"):
		return "a change event"
	case strings.HasSuffix(name, "__x"):
		return "an external object"
	case strings.HasSuffix(name, "__b"):
		return "a big object"
	}
	return ""
}

// matchAny reports whether name matches one of the glob patterns (case-insensitive).
func matchAny(patterns []string, name string) bool {
	name = strings.ToLower(name)
	for _, p := range patterns {
		if ok, _ := path.Match(strings.ToLower(p), name); ok {
			return true
		}
	}
	return false
}

// CheckPatterns reports the first malformed glob pattern.
func CheckPatterns(patterns []string) error {
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return fmt.Errorf("object pattern %q is not a valid glob (use * and ?, as in \"*__c\"): %w", p, err)
		}
	}
	return nil
}

// Discover adds the org's objects to the run when the source loads them all (see above). It makes
// one API call, the global describe.
func (r *Extractor) Discover(ctx context.Context, sf *client.Client, sch *normalize.Schema) error {
	r.sf, r.sch = sf, sch
	if !r.src.AllObjects {
		return nil
	}
	g, err := r.sf.DescribeGlobal(ctx)
	if err != nil {
		return fmt.Errorf("listing the org's objects for all_objects: %w", err)
	}
	objects := map[string]bool{}
	names := map[string]bool{}
	for _, res := range r.resources {
		objects[strings.ToLower(res.object)] = true
		names[res.name] = true
	}
	sobjects := slices.Clone(g.SObjects)
	slices.SortFunc(sobjects, func(a, b client.SObjectSummary) int { return strings.Compare(a.Name, b.Name) })
	left := map[string]int{}
	for _, o := range sobjects {
		switch {
		case objects[strings.ToLower(o.Name)]:
			continue // a resource already, under its own name
		case !client.ValidAPIName(o.Name) || o.Name == "":
			left["not an API name sfdlt can query"]++
			continue
		case leftOutKind(o) != "":
			left[leftOutKind(o)]++
			continue
		case len(r.src.ObjectsInclude) > 0 && !matchAny(r.src.ObjectsInclude, o.Name):
			continue
		case matchAny(r.src.ObjectsExclude, o.Name):
			continue
		}
		name := r.sch.Naming().NormalizeTableName(o.Name)
		if names[name] {
			r.note(fmt.Sprintf("%s: its table name %s is another resource's: left out (load it with AddObject under another name)", o.Name, name))
			continue
		}
		names[name] = true
		objects[strings.ToLower(o.Name)] = true
		r.resources = append(r.resources, &resource{name: name, object: o.Name, disposition: schema.Replace,
			columns: map[string]schema.ColumnHint{}, discovered: true})
	}
	if len(left) > 0 {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(left)) {
			parts = append(parts, fmt.Sprintf("%d %s", left[k], k))
		}
		r.cfg.Logger.Info("all_objects: objects of the org that are not ordinary data were left out", "left_out", strings.Join(parts, ", "))
	}
	return nil
}

// chooseMirror sets a discovered object's disposition and cursor from its describe: merge on Id,
// incremental on SystemModstamp, or on LastModifiedDate where there is no SystemModstamp; append,
// incremental on CreatedDate, for objects whose rows never change (history objects: CreatedDate
// and no modification stamp); replace when there is no usable cursor or no Id. Overrides
// (Source.Objects) win.
func (r *Extractor) chooseMirror(res *resource, fields []selectedField) (changed bool, err error) {
	before := res.inc
	has := map[string]bool{}
	for _, f := range fields {
		if f.typ == schema.Timestamp || f.name == "Id" {
			has[f.name] = true
		}
	}
	if res.discovered {
		switch {
		case !has["Id"]:
			res.disposition = schema.Replace
		case has[SystemModstamp], has["LastModifiedDate"]:
			path := SystemModstamp
			if !has[SystemModstamp] {
				path = "LastModifiedDate"
			}
			res.disposition, res.primaryKey, res.inc = schema.Merge, []string{"id"}, newCursor(&Cursor{Path: path})
		case has["CreatedDate"]:
			res.disposition, res.inc = schema.Append, newCursor(&Cursor{Path: "CreatedDate"})
		default:
			res.disposition = schema.Replace
		}
	}
	defer func() { changed = res.inc != before }()
	h, ok := r.src.Objects[strings.ToLower(res.object)]
	if !ok {
		return
	}
	if h.Disposition != "" {
		res.disposition = h.Disposition
	}
	switch {
	case h.SCD2 != nil:
		res.scd2 = h.SCD2
	case h.Strategy == schema.DeleteInsert:
		res.scd2 = nil
	}
	if h.PrimaryKey != nil {
		res.primaryKey = slices.Clone(h.PrimaryKey)
	}
	if h.MergeKey != nil {
		res.mergeKey = slices.Clone(h.MergeKey)
	}
	for col, ch := range h.Columns {
		res.columns[col] = ch
	}
	switch {
	case h.NoCursor:
		res.inc = nil
	case h.Cursor != "" && (res.inc == nil || res.inc.CursorPath != h.Cursor):
		res.inc = newCursor(&Cursor{Path: h.Cursor})
	}
	if res.disposition == schema.Merge && len(res.primaryKey) == 0 && len(res.mergeKey) == 0 {
		return false, fmt.Errorf("the hints for object %s make it merge, but it has no primary key or merge key: give one (Hints.PrimaryKey in sfdlt.ObjectHints, or primary_key = [\"Id\"] in its [sources.salesforce.objects.%s] table)", res.object, res.object)
	}
	return
}

// refusal reports whether err is Salesforce refusing to read an object as a whole, for reasons of
// the object itself (a required filter, no access, not supported): a discovered object that
// answers so is skipped, and the run goes on.
func refusal(err error) bool {
	if err == nil || errors.Is(err, client.ErrRequestLimitExceeded) || errors.Is(err, client.ErrConcurrentLimit) {
		return false
	}
	if errors.Is(err, errNotQueryable) {
		return true
	}
	var ae *client.APIError
	if !errors.As(err, &ae) {
		return errors.Is(err, client.ErrBulkUnsupported)
	}
	switch ae.ErrorCode {
	case "INVALID_TYPE", "INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "NOT_SUPPORTED",
		"INVALID_TYPE_FOR_OPERATION", "API_DISABLED_FOR_ORG", "FUNCTIONALITY_NOT_ENABLED":
		return true
	case "MALFORMED_QUERY", "INVALID_QUERY_FILTER_OPERATOR", "EXTERNAL_OBJECT_EXCEPTION", "EXTERNAL_OBJECT_UNSUPPORTED_EXCEPTION":
		return strings.Contains(ae.Message, "Implementation restriction") || strings.HasPrefix(ae.ErrorCode, "EXTERNAL_OBJECT")
	}
	return false
}

// refusalReason is what Salesforce said, for the load info: its error code and message on one
// line, without the request that drew it.
func refusalReason(err error) string {
	var ae *client.APIError
	if errors.As(err, &ae) && (ae.ErrorCode != "" || ae.Message != "") {
		msg := strings.Join(strings.Fields(ae.Message), " ")
		if i := strings.Index(msg, "ERROR at Row:"); i >= 0 {
			// INVALID_TYPE and friends quote the query and point at it first: keep the sentence.
			if j := strings.Index(msg[i:], " sObject"); j >= 0 {
				msg = msg[i+j+1:]
			}
		}
		if ae.ErrorCode == "" {
			return msg
		}
		return ae.ErrorCode + ": " + msg
	}
	return err.Error()
}

// Skip is an object a whole-org load left out because Salesforce refused to read it.
type Skip struct {
	Object, Resource, Reason string
}

// skips collects the run's skips.
type skips struct {
	mu   sync.Mutex
	list []Skip
}

func (s *skips) add(sk Skip) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, sk)
}

// Skipped lists the objects the run skipped, in the order of resources.
func (r *Extractor) Skipped() []Skip {
	r.skipped.mu.Lock()
	defer r.skipped.mu.Unlock()
	out := slices.Clone(r.skipped.list)
	rank := map[string]int{}
	for i, res := range r.resources {
		rank[res.name] = i
	}
	slices.SortFunc(out, func(a, b Skip) int { return rank[a.Resource] - rank[b.Resource] })
	return out
}
