package fsm

import "testing"

// FuzzCheck: whatever a forwarded body holds, Check answers without panicking, refuses unknown command
// types.
func FuzzCheck(f *testing.F) {
	for _, c := range []Command{&ConnectorPut{Name: "a", Config: map[string]string{"k": "v"}}, &TargetStateChange{Name: "a", Target: TargetPaused}} {
		data, _ := Encode(c)
		f.Add(data)
	}
	f.Add([]byte{0x7e, '{', '}'})
	f.Add([]byte{byte(ConnectorPutType), 'x'})
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Check(data)
		if len(data) > 0 && !Known(MessageType(data[0])) && err == nil {
			t.Fatalf("Check accepted unknown command type %d", data[0])
		}
	})
}
