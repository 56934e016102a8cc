package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Version is one entry of the API versions list. Labels vary (curly apostrophes): do not parse them.
type Version struct {
	Label   string `json:"label"`
	URL     string `json:"url"`
	Version string `json:"version"`
}

// Versions lists the API versions the instance serves, oldest first. The call needs no session
// and does not count against the API limit (nor in APICalls).
func (c *Client) Versions(ctx context.Context) ([]Version, error) {
	endpoint := c.InstanceURL() + "/services/data/"
	var out []Version
	_, err := c.send(ctx, call{method: http.MethodGet, path: endpoint, header: http.Header{"Accept": {"application/json"}},
		decode: func(_ *http.Response, b []byte) error { return json.Unmarshal(b, &out) }})
	if err != nil {
		return nil, fmt.Errorf("listing API versions: %w", err)
	}
	return out, nil
}

// GlobalDescribe is the answer of GET /sobjects/: every object of the org.
type GlobalDescribe struct {
	Encoding     string           `json:"encoding"`
	MaxBatchSize int              `json:"maxBatchSize"`
	SObjects     []SObjectSummary `json:"sobjects"`
}

// SObjectSummary is one object of the global describe.
type SObjectSummary struct {
	Name                string            `json:"name"`
	Label               string            `json:"label"`
	LabelPlural         string            `json:"labelPlural"`
	KeyPrefix           *string           `json:"keyPrefix"` // null for some system objects
	Custom              bool              `json:"custom"`
	CustomSetting       bool              `json:"customSetting"`
	Queryable           bool              `json:"queryable"`
	Replicateable       bool              `json:"replicateable"`
	Retrieveable        bool              `json:"retrieveable"`
	Searchable          bool              `json:"searchable"`
	Createable          bool              `json:"createable"`
	Updateable          bool              `json:"updateable"`
	Deletable           bool              `json:"deletable"`
	Undeletable         bool              `json:"undeletable"`
	Layoutable          bool              `json:"layoutable"`
	Triggerable         bool              `json:"triggerable"`
	FeedEnabled         bool              `json:"feedEnabled"`
	DeprecatedAndHidden bool              `json:"deprecatedAndHidden"`
	URLs                map[string]string `json:"urls"`
}

// DescribeGlobal lists the org's objects. The answer is cached (see LoadDescribeCache) and
// revalidated with If-Modified-Since. Salesforce answers 304 only when no object's metadata
// changed since (fields included): then the object describes cached under the same answer are
// current, and Describe returns them without asking again.
func (c *Client) DescribeGlobal(ctx context.Context) (*GlobalDescribe, error) {
	c.describeMu.Lock()
	cached := c.global
	c.describeMu.Unlock()
	hdr := http.Header{}
	if cached != nil && cached.lastModified != "" {
		hdr.Set("If-Modified-Since", cached.lastModified)
	}
	var out GlobalDescribe
	resp, err := c.getJSON(ctx, c.dataPath("sobjects/"), hdr, &out)
	if err != nil {
		return nil, fmt.Errorf("describing the org's objects: %w", err)
	}
	c.describeMu.Lock()
	defer c.describeMu.Unlock()
	if resp.StatusCode == http.StatusNotModified {
		if cached == nil {
			return nil, fmt.Errorf("describing the org's objects: Salesforce answered 304 Not Modified to a request without If-Modified-Since")
		}
		c.metadataAt = cached.lastModified
		return cached.g, nil
	}
	// Only the server's own Last-Modified can be revalidated against its metadata.
	lm := settled(resp)
	c.global = &globalEntry{g: &out, lastModified: lm}
	c.metadataAt = lm
	return &out, nil
}

// settled is the response's Last-Modified when it can revalidate the answer later: HTTP dates
// count whole seconds, so a change made in the same second as Last-Modified but after the answer
// would be missed by an If-Modified-Since of that second. Unless the answer came at least two
// seconds after Last-Modified, it returns "": the answer is fetched whole next time.
func settled(resp *http.Response) string {
	lm := resp.Header.Get("Last-Modified")
	at, err := http.ParseTime(lm)
	if err != nil {
		return ""
	}
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil || date.Sub(at) < 2*time.Second {
		return ""
	}
	return lm
}

// globalEntry is the cached global describe.
type globalEntry struct {
	g            *GlobalDescribe
	lastModified string
}

// SObjectDescribe is the answer of GET /sobjects/{Name}/describe (the keys sfdlt uses; others
// are ignored).
type SObjectDescribe struct {
	Name                string              `json:"name"`
	Label               string              `json:"label"`
	LabelPlural         string              `json:"labelPlural"`
	Custom              bool                `json:"custom"`
	KeyPrefix           *string             `json:"keyPrefix"`
	Queryable           bool                `json:"queryable"`
	Replicateable       bool                `json:"replicateable"`
	Retrieveable        bool                `json:"retrieveable"`
	DeprecatedAndHidden bool                `json:"deprecatedAndHidden"`
	Fields              []Field             `json:"fields"`
	ChildRelationships  []ChildRelationship `json:"childRelationships"`
	RecordTypeInfos     []RecordTypeInfo    `json:"recordTypeInfos"`
	URLs                map[string]string   `json:"urls"`
}

// Field is one field of an object describe.
type Field struct {
	Name                string          `json:"name"`
	Label               string          `json:"label"`
	Type                string          `json:"type"`     // string, id, reference, datetime, address, ...
	SOAPType            string          `json:"soapType"` // xsd:string, tns:ID, urn:address, ...
	Length              int             `json:"length"`
	ByteLength          int             `json:"byteLength"`
	Precision           int             `json:"precision"`
	Scale               int             `json:"scale"`
	Digits              int             `json:"digits"`
	Nillable            bool            `json:"nillable"`
	Calculated          bool            `json:"calculated"` // formula field
	CalculatedFormula   *string         `json:"calculatedFormula"`
	CompoundFieldName   *string         `json:"compoundFieldName"`
	ReferenceTo         []string        `json:"referenceTo"`
	RelationshipName    *string         `json:"relationshipName"`
	Filterable          bool            `json:"filterable"`
	Sortable            bool            `json:"sortable"`
	Groupable           bool            `json:"groupable"`
	Custom              bool            `json:"custom"`
	ExternalID          bool            `json:"externalId"`
	Unique              bool            `json:"unique"`
	IDLookup            bool            `json:"idLookup"`
	NameField           bool            `json:"nameField"`
	AutoNumber          bool            `json:"autoNumber"`
	Createable          bool            `json:"createable"`
	Updateable          bool            `json:"updateable"`
	DeprecatedAndHidden bool            `json:"deprecatedAndHidden"`
	HTMLFormatted       bool            `json:"htmlFormatted"`
	DefaultValue        json.RawMessage `json:"defaultValue"` // any JSON type, often null
	PicklistValues      []PicklistValue `json:"picklistValues"`
}

// PicklistValue is one value of a picklist field.
type PicklistValue struct {
	Active       bool    `json:"active"`
	DefaultValue bool    `json:"defaultValue"`
	Label        *string `json:"label"`
	Value        string  `json:"value"`
}

// ChildRelationship is a relationship from another object to the described one.
type ChildRelationship struct {
	ChildSObject     string  `json:"childSObject"`
	Field            string  `json:"field"`
	RelationshipName *string `json:"relationshipName"`
	CascadeDelete    bool    `json:"cascadeDelete"`
}

// RecordTypeInfo is one record type of the object.
type RecordTypeInfo struct {
	Name                     string `json:"name"`
	DeveloperName            string `json:"developerName"`
	RecordTypeID             string `json:"recordTypeId"`
	Available                bool   `json:"available"`
	Master                   bool   `json:"master"`
	DefaultRecordTypeMapping bool   `json:"defaultRecordTypeMapping"`
}

type describeEntry struct {
	d            *SObjectDescribe
	lastModified string
	// validAt is the global describe's Last-Modified under which d was fetched or revalidated
	// ("" for none): while the global describe answers 304 to it, d is current.
	validAt string
}

var objectNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

func checkObjectName(object string) error {
	if !objectNameRE.MatchString(object) {
		return fmt.Errorf("%q is not an sObject API name (letters, digits and underscores, such as Account or Invoice__c)", object)
	}
	return nil
}

// Describe describes one object. Results are cached per client and revalidated with
// If-Modified-Since: a 304 answer returns the cached copy. Callers must not modify the result.
func (c *Client) Describe(ctx context.Context, object string) (*SObjectDescribe, error) {
	if err := checkObjectName(object); err != nil {
		return nil, fmt.Errorf("describing %s: %w", object, err)
	}
	key := strings.ToLower(object)
	c.describeMu.Lock()
	cached := c.describes[key]
	metadataAt := c.metadataAt
	c.describeMu.Unlock()
	if cached != nil && metadataAt != "" && cached.validAt == metadataAt {
		return cached.d, nil // no object's metadata changed since it was fetched (DescribeGlobal)
	}

	hdr := http.Header{}
	if cached != nil && cached.lastModified != "" {
		hdr.Set("If-Modified-Since", cached.lastModified)
	}
	var out SObjectDescribe
	resp, err := c.getJSON(ctx, c.dataPath("sobjects/"+object+"/describe"), hdr, &out)
	if err != nil {
		return nil, fmt.Errorf("describing %s: %w", object, err)
	}
	if resp.StatusCode == http.StatusNotModified {
		if cached == nil {
			return nil, fmt.Errorf("describing %s: Salesforce answered 304 Not Modified to a request without If-Modified-Since", object)
		}
		c.describeMu.Lock()
		c.describes[key] = &describeEntry{d: cached.d, lastModified: cached.lastModified, validAt: metadataAt}
		c.describeMu.Unlock()
		return cached.d, nil
	}
	// Revalidate against the server's clock when it tells us; else our own.
	lm := settled(resp)
	c.describeMu.Lock()
	c.describes[key] = &describeEntry{d: &out, lastModified: lm, validAt: metadataAt}
	c.describeMu.Unlock()
	return &out, nil
}

// Limit is one entry of the org's limits. Entries can nest (PermissionSets holds CreateCustom):
// nested entries are in Sub.
type Limit struct {
	Max       int64
	Remaining int64
	Sub       map[string]Limit
}

// UnmarshalJSON reads {"Max":..,"Remaining":..} in any key order, with nested entries.
func (l *Limit) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = Limit{}
	for k, v := range raw {
		switch k {
		case "Max":
			if err := json.Unmarshal(v, &l.Max); err != nil {
				return fmt.Errorf("limit Max: %w", err)
			}
		case "Remaining":
			if err := json.Unmarshal(v, &l.Remaining); err != nil {
				return fmt.Errorf("limit Remaining: %w", err)
			}
		default:
			if len(v) == 0 || v[0] != '{' {
				continue // unknown scalar key: ignore
			}
			var sub Limit
			if err := json.Unmarshal(v, &sub); err != nil {
				return fmt.Errorf("limit %s: %w", k, err)
			}
			if l.Sub == nil {
				l.Sub = map[string]Limit{}
			}
			l.Sub[k] = sub
		}
	}
	return nil
}

// Limits are the org's limits by name, such as DailyApiRequests.
type Limits map[string]Limit

// Limits reads the org's limits.
func (c *Client) Limits(ctx context.Context) (Limits, error) {
	var out Limits
	if _, err := c.getJSON(ctx, c.dataPath("limits"), nil, &out); err != nil {
		return nil, fmt.Errorf("reading org limits: %w", err)
	}
	return out, nil
}

// Page is one page of a query result. Records are raw JSON objects, each with "attributes".
type Page struct {
	Number         int               `json:"-"`         // 1 for the first page
	TotalSize      int               `json:"totalSize"` // size of the whole result, on every page
	Done           bool              `json:"done"`
	NextRecordsURL string            `json:"nextRecordsUrl"`
	Records        []json.RawMessage `json:"records"`

	buf []byte // the body Records point into, for Release
}

// QueryOption adjusts a query.
type QueryOption func(*queryOptions)

type queryOptions struct {
	batchSize int
	err       error
}

// BatchSize asks for pages of n records (200..2000; Salesforce's default is 2000). Salesforce may
// still send smaller or irregular pages.
func BatchSize(n int) QueryOption {
	return func(o *queryOptions) {
		if n < 200 || n > 2000 {
			o.err = fmt.Errorf("batch size %d is out of range: Salesforce accepts 200 to 2000", n)
			return
		}
		o.batchSize = n
	}
}

// Query runs a SOQL query and yields its pages, following nextRecordsUrl. Iteration stops at
// the first error, which is yielded with a nil page. A page cut off or otherwise unreadable is
// requested again at the same URL, so no record is skipped or yielded twice.
func (c *Client) Query(ctx context.Context, soql string, opts ...QueryOption) iter.Seq2[*Page, error] {
	return c.query(ctx, "query", soql, opts)
}

// QueryAll is Query including deleted (IsDeleted=true), merged and archived records.
func (c *Client) QueryAll(ctx context.Context, soql string, opts ...QueryOption) iter.Seq2[*Page, error] {
	return c.query(ctx, "queryAll", soql, opts)
}

func (c *Client) query(ctx context.Context, resource, soql string, opts []QueryOption) iter.Seq2[*Page, error] {
	return func(yield func(*Page, error) bool) {
		var o queryOptions
		for _, opt := range opts {
			opt(&o)
		}
		if o.err != nil {
			yield(nil, fmt.Errorf("%s: %w", resource, o.err))
			return
		}
		hdr := http.Header{}
		if o.batchSize > 0 {
			hdr.Set("Sforce-Query-Options", fmt.Sprintf("batchSize=%d", o.batchSize))
		}
		next := c.dataPath(resource) + "?" + url.Values{"q": {soql}}.Encode()
		for n := 1; ; n++ {
			var p Page
			if err := c.getPage(ctx, next, hdr, &p); err != nil {
				yield(nil, fmt.Errorf("%s page %d: %w", resource, n, err))
				return
			}
			p.Number = n
			if !p.Done && p.NextRecordsURL == "" {
				yield(nil, fmt.Errorf("%s page %d: Salesforce said done=false without a nextRecordsUrl: cannot continue the query", resource, n))
				return
			}
			if !p.Done && p.NextRecordsURL == next {
				yield(nil, fmt.Errorf("%s page %d: nextRecordsUrl points at the page just read: stopping to avoid a loop", resource, n))
				return
			}
			if !yield(&p, nil) || p.Done {
				return
			}
			next = p.NextRecordsURL
		}
	}
}

// getPage fetches one query page and splits it with parsePage (not encoding/json: see there).
func (c *Client) getPage(ctx context.Context, path string, hdr http.Header, p *Page) error {
	h := http.Header{"Accept": {"application/json"}}
	for k, vs := range hdr {
		h[k] = vs
	}
	_, err := c.send(ctx, call{method: http.MethodGet, path: path, header: h, auth: true, pooled: true,
		decode: func(resp *http.Response, body []byte) error {
			*p = Page{buf: body}
			return parsePage(body, p)
		}})
	return err
}

// pageBufs holds the bodies of released query pages for the next pages to read into. A page
// of 2,000 records is a few megabytes: read with io.ReadAll, which grows its buffer by
// doubling, each page cost about twice its size in allocations, the largest share of a REST
// load's garbage (profiled: 5 KB per Opportunity record of 1.5 KB).
var pageBufs sync.Pool // of *[]byte

// readPooled reads r to its end into a buffer from pageBufs; size is the body's length when
// known (Content-Length), else -1.
func readPooled(r io.Reader, size int64) ([]byte, error) {
	var b []byte
	if bp, ok := pageBufs.Get().(*[]byte); ok {
		b = (*bp)[:0]
	}
	if size >= 0 && int64(cap(b)) < size+1 {
		b = make([]byte, 0, size+1) // +1: room to see EOF without growing
	}
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// Release hands the page's memory back for the pages read after it. Call it once nothing
// refers to Records any more (they point into the page's body); Records is nil afterwards. A
// page never released is garbage collected as usual.
func (p *Page) Release() {
	if p.buf == nil {
		return
	}
	b := p.buf[:0]
	p.buf, p.Records = nil, nil
	pageBufs.Put(&b)
}

// DeletedRecord is one entry of the deleted records list.
type DeletedRecord struct {
	ID          string
	DeletedDate time.Time
}

// DeletedRecords lists the ids of an object deleted in a window.
type DeletedRecords struct {
	Records               []DeletedRecord
	EarliestDateAvailable time.Time // older deletions are no longer known (recycle bin emptied)
	LatestDateCovered     time.Time // the list is complete up to here
}

// Deleted lists the records of object deleted between start and end (GET
// /sobjects/{object}/deleted/). Salesforce keeps about 15 days of deletions; start must lie
// within the last 30 days.
func (c *Client) Deleted(ctx context.Context, object string, start, end time.Time) (*DeletedRecords, error) {
	if err := checkObjectName(object); err != nil {
		return nil, fmt.Errorf("listing deleted records: %w", err)
	}
	if !end.After(start) {
		return nil, fmt.Errorf("listing deleted %s records: end %s is not after start %s", object, FormatDateTime(end), FormatDateTime(start))
	}
	const layout = "2006-01-02T15:04:05-07:00"
	q := url.Values{"start": {start.UTC().Format(layout)}, "end": {end.UTC().Format(layout)}}
	var raw struct {
		DeletedRecords []struct {
			ID          string `json:"id"`
			DeletedDate string `json:"deletedDate"`
		} `json:"deletedRecords"`
		EarliestDateAvailable string `json:"earliestDateAvailable"`
		LatestDateCovered     string `json:"latestDateCovered"`
	}
	if _, err := c.getJSON(ctx, c.dataPath("sobjects/"+object+"/deleted/")+"?"+q.Encode(), nil, &raw); err != nil {
		return nil, fmt.Errorf("listing deleted %s records: %w", object, err)
	}
	out := &DeletedRecords{Records: make([]DeletedRecord, 0, len(raw.DeletedRecords))}
	var err error
	for _, r := range raw.DeletedRecords {
		d := DeletedRecord{ID: r.ID}
		if d.DeletedDate, err = ParseDateTime(r.DeletedDate); err != nil {
			return nil, fmt.Errorf("listing deleted %s records: record %s: %w", object, r.ID, err)
		}
		out.Records = append(out.Records, d)
	}
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&out.EarliestDateAvailable, raw.EarliestDateAvailable}, {&out.LatestDateCovered, raw.LatestDateCovered}} {
		if f.src == "" {
			continue
		}
		if *f.dst, err = ParseDateTime(f.src); err != nil {
			return nil, fmt.Errorf("listing deleted %s records: %w", object, err)
		}
	}
	return out, nil
}
