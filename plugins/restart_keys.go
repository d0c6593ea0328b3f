package plugins

import "github.com/connectd/connectd/connect"

// groupRestarts groups connectd's automatic restart keys, which Kafka Connect does not have.
const groupRestarts = "Automatic Restarts"

// defineRestartKeys adds the opt-in automatic restart keys every connector accepts.
func defineRestartKeys(d *connect.ConfigDef) {
	for i, k := range []connect.ConfigKey{
		{Name: "restart.policy", Type: connect.TypeString, Default: "never", Validator: connect.OneOfIgnoreCase("never", "on-failure"), Importance: connect.Medium, Width: connect.WidthShort, DisplayName: "Restart Policy", Documentation: "Whether a FAILED connector or task is restarted automatically: 'never' (Kafka Connect's behaviour) or 'on-failure', with exponential backoff and jitter."},
		{Name: "restart.backoff.initial.ms", Type: connect.TypeLong, Default: "1000", Validator: connect.AtLeast(1), Importance: connect.Low, Width: connect.WidthShort, DisplayName: "Restart Initial Backoff", Documentation: "The delay in milliseconds before the first automatic restart; it doubles with each failed attempt."},
		{Name: "restart.backoff.max.ms", Type: connect.TypeLong, Default: "300000", Validator: connect.AtLeast(1), Importance: connect.Low, Width: connect.WidthShort, DisplayName: "Restart Maximum Backoff", Documentation: "The longest delay in milliseconds between automatic restarts."},
		{Name: "restart.max.attempts", Type: connect.TypeInt, Default: "-1", Validator: connect.AtLeast(-1), Importance: connect.Low, Width: connect.WidthShort, DisplayName: "Restart Maximum Attempts", Documentation: "How many automatic restarts are attempted in a row before the connector or task stays FAILED; -1 is unlimited."},
	} {
		k.Group, k.OrderInGroup = groupRestarts, i+1
		d.Define(k)
	}
}
