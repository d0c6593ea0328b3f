package plugins

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/connectd/connectd/connect"
)

// checkTasksMax refuses a tasks.max above the worker's tasks.max.limit: the connector's owner would
// otherwise build that many task configs (and the cluster commit them) before anything fails.
func checkTasksMax(byName map[string]*connect.ConfigValue, limit int) {
	v := byName["tasks.max"]
	if limit < 1 || v == nil || v.Value == nil || len(v.Errors) > 0 {
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(*v.Value), 10, 64)
	if err == nil && n > int64(limit) {
		v.Errors = append(v.Errors, fmt.Sprintf("Invalid value %d for configuration tasks.max: Value must be no more than %d (the worker's tasks.max.limit)", n, limit))
	}
}
