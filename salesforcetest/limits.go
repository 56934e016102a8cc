package salesforcetest

import (
	"bytes"
	"fmt"
	"net/http"
)

// serveLimits answers GET /limits. DailyApiRequests tracks the calls made; the other entries are
// those of a Developer Edition org. The body is written by hand to keep Salesforce's mixed key
// order (one entry lists Remaining before Max) and its nesting.
func (s *Server) serveLimits(c *reqCtx) {
	bulkUsed, bulkMax := s.bulkJobsUsed()
	s.mu.Lock()
	max := s.dailyMaxLocked()
	remaining := max - s.apiUsed
	s.mu.Unlock()
	if remaining < 0 {
		remaining = 0
	}
	var b bytes.Buffer
	b.WriteString("{")
	entry := func(name string, max, remaining int, sep bool) {
		fmt.Fprintf(&b, "%q:{\"Max\":%d,\"Remaining\":%d}", name, max, remaining)
		if sep {
			b.WriteString(",")
		}
	}
	entry("ConcurrentAsyncGetReportInstances", 200, 200, true)
	entry("ConcurrentSyncReportRuns", 20, 20, true)
	entry("DailyApiRequests", max, remaining, true)
	entry("DailyAsyncApexExecutions", 250000, 250000, true)
	entry("DailyBulkApiRequests", 10000, 10000, true)
	entry("DailyBulkV2QueryFileStorageMB", 976562, 976562, true)
	bulkRemaining := bulkMax - bulkUsed
	if bulkRemaining < 0 {
		bulkRemaining = 0
	}
	entry("DailyBulkV2QueryJobs", bulkMax, bulkRemaining, true)
	entry("DailyDurableStreamingApiEvents", 10000, 10000, true)
	entry("DailyStreamingApiEvents", 10000, 10000, true)
	entry("DataStorageMB", 5, 5, true)
	entry("FileStorageMB", 20, 20, true)
	entry("HourlyDashboardRefreshes", 200, 200, true)
	b.WriteString(`"HourlyODataCallout":{"Remaining":9999,"Max":10000},`)
	entry("MassEmail", 10, 10, true)
	b.WriteString(`"PermissionSets":{"Max":1500,"Remaining":1497,"CreateCustom":{"Max":1000,"Remaining":997}},`)
	entry("SingleEmail", 15, 15, true)
	entry("StreamingApiConcurrentClients", 20, 20, false)
	b.WriteString("}")
	writeRaw(c.w, http.StatusOK, b.Bytes())
}
