package plugins

import "fmt"

// pluginCall runs a call into a connector plugin for validation; a panic in it becomes a 500
// error naming the plugin, as an exception in Kafka Connect's validation does, not a dropped
// connection.
func pluginCall(class string, f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &Error{Cause: CausePanicked, Message: fmt.Sprintf("Validation of %s failed: the connector panicked: %v", class, v)}
		}
	}()
	f()
	return nil
}
