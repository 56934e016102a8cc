// Package salesforcetest is an emulated Salesforce org served over HTTP, in the spirit of
// net/http/httptest: tests, demos and benchmarks point an unmodified Salesforce client at
// Server.URL and get the wire formats of a real org (SOAP and OAuth login, REST query and
// queryAll with paging, describe, limits, deleted records), seeded data generated on demand, and
// reproducible injected faults.
//
// # Defaults
//
// An Options zero value gives:
//
//	user name        demo@sfdlt.example          (DefaultUserName)
//	password         demo-password               (DefaultPassword)
//	security token   demoSecurityToken           (DefaultSecurityToken; SOAP and the OAuth
//	                                              password grant take password+token)
//	client id        3MVG9sfdltEmulatorConnectedAppConsumerKey.demo (DefaultClientID)
//	client secret    sfdlt-emulator-client-secret (DefaultClientSecret)
//	org id           00DSf00000DLTeMMAX
//	user id          005Sf00000DLTuSIAX
//	record counts    DefaultCounts() (and WholeOrgCounts() with Options.WholeOrg)
//
// Credentials also returns a refresh token and the PEM private key whose public half the JWT
// bearer flow trusts (both generated per server). API versions 31.0 to 67.0 are served; 30.0 and
// older answer 410 Gone; SOAP login() is refused from 65.0, as in real orgs.
//
// # Endpoints
//
//	GET  /services/data[/]                        versions (no auth, not counted)
//	POST /services/Soap/u/{version}               SOAP login (partner API)
//	POST /services/oauth2/token                   password, client_credentials, JWT bearer, refresh_token
//	GET  /services/data/vXX.X/limits
//	GET  /services/data/vXX.X/sobjects[/]         global describe (If-Modified-Since)
//	GET  /services/data/vXX.X/sobjects/{Name}/describe[/]
//	GET  /services/data/vXX.X/sobjects/{Name}/deleted[/]?start=&end=
//	GET  /services/data/vXX.X/query[/]?q=  and  /queryAll[/]?q=
//	GET  /services/data/vXX.X/query/{locator}-{offset}   (nextRecordsUrl)
//	POST /services/data/vXX.X/jobs/query          Bulk API 2.0 query job (47.0+)
//	GET  /services/data/vXX.X/jobs/query          every job
//	GET  /services/data/vXX.X/jobs/query/{id}     job info (polls advance the state)
//	PATCH, DELETE /services/data/vXX.X/jobs/query/{id}   abort ({"state":"Aborted"}), delete
//	GET  /services/data/vXX.X/jobs/query/{id}/results[?locator=&maxRecords=]   CSV pages
//	GET  /services/data/vXX.X/jobs/query/{id}/resultPages   five result URLs a set (58.0+)
//
// REST calls take "Authorization: Bearer {session id or access token}". Every REST response but
// the versions list carries Sforce-Limit-Info. Query pages honour Sforce-Query-Options:
// batchSize=N (200..2000) and Accept-Encoding: gzip; a nextRecordsUrl can be fetched again to
// replay a page whose body was lost.
//
// # Bulk API 2.0
//
// A query job answers UploadComplete at creation, InProgress on the first Options.BulkJobPolls
// polls, then JobComplete with numberRecordsProcessed (rows are counted in the background, up
// front, without keeping them). Bulk refusals (GROUP BY, OFFSET, TYPEOF, aggregates, FIELDS(),
// parent-to-child subqueries, compound, base64 and json fields) answer 400 API_ERROR at creation.
// Results pages are complete CSV files (quoted header, every value quoted) read from the org's
// cursors page by page; they mix the variants real orgs send: nulls empty or "", datetimes with Z
// or +0000, gzip honoured on some pages only, 412 or 204 for results asked too early, and the
// resultPages link spelled nextRecordsUrl or nextRecordUrl. Locators (Sforce-Locator) can be
// replayed.
//
// # Limits
//
// The emulator enforces, by default, the limits a real org enforces (salesforce-api.md, section 9),
// so that a client that ignores one fails in tests as it would in production. Options.Limits sets
// each one; its zero value is Salesforce's, a negative value turns one off, and NoLimits turns all
// off:
//
//	query cursors      10 open per user (all sessions share them); the oldest, by creation, is
//	                   released when one more opens: its nextRecordsUrl answers 400
//	                   INVALID_QUERY_LOCATOR. A cursor is open from a first page that is not the
//	                   last until its last page is served; OpenForeignCursors and
//	                   Faults.ForeignCursorEvery add another integration's cursors.
//	cursor idle time   15 minutes unused and a locator expires (INVALID_QUERY_LOCATOR); the clock
//	                   is the emulator's, which Advance moves with the org's logical clock
//	URI length         16,384 bytes: a longer URI answers 414, URI plus headers 431, with the
//	                   edge's HTML body (<h1>Bad Message 414</h1><pre>reason: URI Too Long</pre>)
//	SOQL length        100,000 characters (REST q= and Bulk job queries): 400 MALFORMED_QUERY
//	concurrent long    25 requests in flight for 20 s or more: a new API request answers 403
//	requests           REQUEST_LIMIT_EXCEEDED "ConcurrentPerOrgLongTxn Limit exceeded." (not
//	                   counted); Faults.ConcurrentLimitRate injects such refusals at random
//	locators per       off by default: Limits.LocatorsPerSession makes a locator valid only with
//	session            the session that opened it
//
// OpenCursors, PeakCursors and ReleasedCursors let a test assert that a client keeps within the
// cursor limit. Options.Wide gives objects hundreds of custom fields of every type (so that a
// SELECT of all of them is over the URI limit), and Options.BulkUnsupported makes the Bulk API
// refuse objects (their jobs end Failed), as some orgs do.
//
// # Whole org
//
// Options.WholeOrg adds the objects a real enterprise org lists in global describe beside the
// default org's 16, so that whole-org discovery ("load every queryable object") meets what
// it meets in production. Off (the zero value), the org is exactly what it always was. Record
// counts are WholeOrgCounts(); Options.Counts and Options.Wide apply to these objects too.
//
//	object                       cursor fields           what a query gets
//	OpportunityFieldHistory      CreatedDate, IsDeleted  rows; they never change (see below)
//	AccountShare                 LastModifiedDate,       rows
//	                             IsDeleted
//	Group, RecordType            SystemModstamp          rows (no IsDeleted)
//	GroupMember                  SystemModstamp only     rows (no IsDeleted, no created or
//	                                                     last-modified fields)
//	ContentDocumentLink          SystemModstamp,         rows only with its filter, else 400
//	                             IsDeleted               MALFORMED_QUERY (below)
//	EventLogFile                 SystemModstamp,         400 INVALID_TYPE (below)
//	                             IsDeleted
//	SetupAuditTrail              CreatedDate             400 INSUFFICIENT_ACCESS_OR_READONLY
//	Order_Event__e               (platform event)        queryable false: 400 INVALID_TYPE
//	AccountChangeEvent,          (change events, no      queryable false: 400 INVALID_TYPE
//	OpportunityChangeEvent,      keyPrefix)
//	Something__ChangeEvent
//	Legacy_Invoice__x            none (external object)  rows over REST; Bulk jobs fail
//	Meter_Reading__c             all, IsDeleted          5,000 rows (a large custom object)
//	Customer_Profile__c          all, IsDeleted          500 extra custom fields (Wide): a
//	                                                     SELECT of every field is over the
//	                                                     URI limit
//	Very_Long_Custom_Object_     all, IsDeleted          40 characters before __c (Salesforce's
//	Name_For_Testing__c                                  maximum), with 40-character fields
//
// The objects that refuse queries, and why:
//
//   - ContentDocumentLink answers, when the WHERE clause does not filter ContentDocumentId or
//     LinkedEntityId by = or IN (alone or in a top-level AND), 400 MALFORMED_QUERY "Implementation
//     restriction: ContentDocumentLink requires a filter by a single Id on ContentDocumentId or
//     LinkedEntityId using the equals operator or multiple Id's using the IN operator.", the text
//     real orgs send. The restriction bites when the query runs, so a Bulk job of it is created
//     and ends Failed with errorMessage "Failed to process query: MALFORMED_QUERY:
//     Implementation restriction: ..." (the same text).
//   - EventLogFile is listed queryable, but SOQL does not know it: 400 INVALID_TYPE with the
//     positioned "sObject type 'EventLogFile' is not supported. If you are attempting to use a
//     custom object, be sure to append the '__c' after the entity name. Please reference your WSDL
//     or the describe call for the appropriate names.", what a user without the View Event Log
//     Files permission (or an org without the feature) gets. Bulk job creation answers the same.
//   - SetupAuditTrail is listed queryable; its fields are checked (an unknown one is
//     INVALID_FIELD), then every query answers 400 INSUFFICIENT_ACCESS_OR_READONLY "insufficient
//     access rights on object id", Salesforce's access error, as for a user without View Setup and
//     Configuration. Bulk job creation answers the same.
//   - Order_Event__e and the change events say queryable false; SOQL cannot read events, so a
//     query answers INVALID_TYPE like an unknown object. Their describes work; they never hold
//     records.
//   - Legacy_Invoice__x is served rather than failing as an unreachable external data source
//     would: an external object whose source answers is read like any object, and it is the one
//     object with no cursor field at all (Id, ExternalId, DisplayUrl and custom fields), which a
//     loader must replace on every run. Bulk API 2.0 does not support external objects: its
//     jobs end Failed with "Entity 'Legacy_Invoice__x' is not supported by the Bulk API.".
//
// Objects without SystemModstamp are read in Id order (an update leaves a row in its place) and
// say replicateable false, as replication works on SystemModstamp. Objects without IsDeleted have
// no recycle bin: Delete removes their records for good (queryAll no longer returns them,
// Undelete fails); UserRole, of the default org, keeps the soft delete it always had. "FROM Group"
// reads the object Group although GROUP is a reserved word, as in Salesforce.
//
// OpportunityFieldHistory tracks Amount, CloseDate, StageName, Probability, OwnerId, Name,
// NextStep, Type and ForecastCategoryName: Update writes one row per tracked field it changes
// (OldValue and NewValue are anyType: dates as yyyy-MM-dd text, numbers as numbers), Insert a
// "created" row, both with the change's stamp as CreatedDate and CreatedById the API user. History
// rows cannot be inserted, updated or deleted. The generated rows are plausible values, not a
// replay of each opportunity's own changes.
//
// CreateObject adds an empty custom object (then Insert its records) and DeleteObject removes an
// object; both move global describe's Last-Modified, so a second run's If-Modified-Since sees
// them, while record changes leave it alone (answer 304).
//
// # Benchmarks
//
// Options.CachePages keeps rendered pages; PrerenderQuery and PrerenderBulk render a query's
// pages up front, so that the emulator serves a million rows at well over a million rows a
// second (see BenchmarkServeRESTPages and BenchmarkServeBulkPages).
//
// # Latency
//
// On a real org the API, not the client's CPU, decides how long a load takes. Options.Latency
// models it call by call (see Latency): a REST query page takes a base time plus a time per
// record, other calls a base time, a Bulk API 2.0 job stays in progress for a base time plus a
// time per record from its creation, and its result pages take a base time plus a time per byte.
// RealOrgLatency returns a real org's figures (a page of 2,000 records in 1.5 s); Latency.Scale
// shrinks every wait in proportion for quick runs, and Latency.Sleep replaces the sleeping, so
// that tests check the model without waiting. Requests wait in parallel, with no lock held, while
// they count as in flight (Limits.ConcurrentLongRequests), and stop waiting when the client goes
// away.
//
// # Faults
//
// Faults (set in Options or later with SetFaults) inject latency, transient errors (500, 503, 420),
// connections cut mid-body, expiring sessions, the daily request limit, query timeouts, a disabled
// SOAP login, an expired password and irregular page sizes. They are drawn from a generator
// seeded with Faults.Seed, so a failing run can be replayed.
//
// The test mutation methods (Insert, Update, Delete, Undelete, AddField, SetFormula, Advance,
// CreateObject, DeleteObject) change the org between two loads, to test incremental extraction
// and discovery. Advance also ages query locators (Limits.CursorIdle) without waiting.
package salesforcetest
