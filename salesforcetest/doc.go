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
//	record counts    DefaultCounts()
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
// # Benchmarks
//
// Options.CachePages keeps rendered pages; PrerenderQuery and PrerenderBulk render a query's
// pages up front, so that the emulator serves a million rows at well over a million rows a
// second (see BenchmarkServeRESTPages and BenchmarkServeBulkPages).
//
// # Faults
//
// Faults (set in Options or later with SetFaults) inject latency, transient errors (500, 503, 420),
// connections cut mid-body, expiring sessions, the daily request limit, query timeouts, a disabled
// SOAP login, an expired password and irregular page sizes. They are drawn from a generator
// seeded with Faults.Seed, so a failing run can be replayed.
//
// The test mutation methods (Insert, Update, Delete, Undelete, AddField, SetFormula, Advance)
// change the org between two loads, to test incremental extraction. Advance also ages query
// locators (Limits.CursorIdle) without waiting.
package salesforcetest
