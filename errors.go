package sfdlt

import "github.com/sfdlt/sfdlt/internal/engine"

// ErrAPIUsageLimit is returned when MaxAPIUsagePercent stops a run (match it with errors.Is).
var ErrAPIUsageLimit = engine.ErrAPIUsageLimit
