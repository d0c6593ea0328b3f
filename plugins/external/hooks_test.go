package external_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cconfig "github.com/conduitio/conduit-commons/config"
	"github.com/conduitio/conduit-connector-protocol/pconnector"
	"github.com/conduitio/conduit-connector-protocol/pconnector/server"

	"github.com/connectd/connectd/agent"
	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/testcluster"
)

// fakePluginEnv names the file a test binary started as the fake plugin records its hook calls
// in: the binary serves the plugin instead of running tests.
const fakePluginEnv = "CONNECTD_FAKE_PLUGIN_EVENTS"

func TestMain(m *testing.M) {
	if events := os.Getenv(fakePluginEnv); events != "" {
		serveFakePlugin(events)
		return
	}
	os.Exit(m.Run())
}

// hookEvent is one lifecycle hook call the fake plugin received.
type hookEvent struct {
	Event  string            `json:"event"`
	ID     string            `json:"id"`
	Before map[string]string `json:"before,omitempty"`
	After  map[string]string `json:"after,omitempty"`
}

// fakePluginDir writes a plugin.path directory whose one plugin, "hooks", is this test binary
// serving a source and a destination that record their lifecycle hook calls in the returned
// file. A hook fails when the connector's "fail" parameter names its event.
func fakePluginDir(t *testing.T) (dir, events string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	events = filepath.Join(dir, "events.jsonl")
	// The host starts plugins with an empty environment, so the script sets the marker.
	script := fmt.Sprintf("#!/bin/sh\n%s=%q exec %q\n", fakePluginEnv, events, self)
	if err := os.WriteFile(filepath.Join(dir, "hooks"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, events
}

// hookEvents reads the calls recorded so far.
func hookEvents(t *testing.T, path string) []hookEvent {
	t.Helper()
	var out []hookEvent
	for _, line := range readLines(path) {
		var e hookEvent
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("event %q: %v", line, err)
		}
		out = append(out, e)
	}
	return out
}

func serveFakePlugin(events string) {
	params := cconfig.Parameters{"fail": {Type: cconfig.ParameterTypeString}, "value": {Type: cconfig.ParameterTypeString}}
	spec := pconnector.Specification{Name: "hooks", Version: "v0.0.1", SourceParams: params, DestinationParams: params}
	rec := &recorder{path: events, id: os.Getenv(pconnector.EnvConduitConnectorID)}
	err := server.Serve(
		func() pconnector.SpecifierPlugin { return fakeSpecifier{spec} },
		func() pconnector.SourcePlugin { return &fakeSource{rec: rec} },
		func() pconnector.DestinationPlugin { return &fakeDestination{rec: rec} })
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type fakeSpecifier struct{ spec pconnector.Specification }

func (s fakeSpecifier) Specify(context.Context, pconnector.SpecifierSpecifyRequest) (pconnector.SpecifierSpecifyResponse, error) {
	return pconnector.SpecifierSpecifyResponse{Specification: s.spec}, nil
}

// recorder appends hook calls to the events file. It fails a hook the config's "fail" names,
// and one whose marker file (the events file's name, ".fail-", the event) exists.
type recorder struct {
	path string
	id   string
}

func (r *recorder) hook(event string, before, after map[string]string) error {
	cfg := after
	if cfg == nil {
		cfg = before
	}
	if cfg["fail"] == event {
		return errors.New("fake failure of the " + event + " hook")
	}
	if _, err := os.Stat(r.path + ".fail-" + event); err == nil {
		// Failures a test switches on and off are recorded, so that it can see the attempts.
		return errors.Join(errors.New("fake failure of the "+event+" hook"), r.record(hookEvent{Event: "failed " + event, ID: r.id, Before: before, After: after}))
	}
	return r.record(hookEvent{Event: event, ID: r.id, Before: before, After: after})
}

func (r *recorder) record(e hookEvent) error {
	line, _ := json.Marshal(e)
	f, err := os.OpenFile(r.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.Write(append(line, '\n'))
	return err
}

// fakeSource produces nothing; its Run lasts until the host ends it.
type fakeSource struct{ rec *recorder }

func (s *fakeSource) Configure(context.Context, pconnector.SourceConfigureRequest) (pconnector.SourceConfigureResponse, error) {
	return pconnector.SourceConfigureResponse{}, nil
}

func (s *fakeSource) Open(context.Context, pconnector.SourceOpenRequest) (pconnector.SourceOpenResponse, error) {
	return pconnector.SourceOpenResponse{}, nil
}

func (s *fakeSource) Run(ctx context.Context, _ pconnector.SourceRunStream) error {
	<-ctx.Done()
	return nil
}

func (s *fakeSource) Stop(context.Context, pconnector.SourceStopRequest) (pconnector.SourceStopResponse, error) {
	return pconnector.SourceStopResponse{}, nil
}

func (s *fakeSource) Teardown(context.Context, pconnector.SourceTeardownRequest) (pconnector.SourceTeardownResponse, error) {
	return pconnector.SourceTeardownResponse{}, nil
}

func (s *fakeSource) LifecycleOnCreated(_ context.Context, req pconnector.SourceLifecycleOnCreatedRequest) (pconnector.SourceLifecycleOnCreatedResponse, error) {
	return pconnector.SourceLifecycleOnCreatedResponse{}, s.rec.hook("created", nil, req.Config)
}

func (s *fakeSource) LifecycleOnUpdated(_ context.Context, req pconnector.SourceLifecycleOnUpdatedRequest) (pconnector.SourceLifecycleOnUpdatedResponse, error) {
	return pconnector.SourceLifecycleOnUpdatedResponse{}, s.rec.hook("updated", req.ConfigBefore, req.ConfigAfter)
}

func (s *fakeSource) LifecycleOnDeleted(_ context.Context, req pconnector.SourceLifecycleOnDeletedRequest) (pconnector.SourceLifecycleOnDeletedResponse, error) {
	return pconnector.SourceLifecycleOnDeletedResponse{}, s.rec.hook("deleted", req.Config, nil)
}

// fakeDestination takes no records; its Run lasts until the host ends it.
type fakeDestination struct{ rec *recorder }

func (d *fakeDestination) Configure(context.Context, pconnector.DestinationConfigureRequest) (pconnector.DestinationConfigureResponse, error) {
	return pconnector.DestinationConfigureResponse{}, nil
}

func (d *fakeDestination) Open(context.Context, pconnector.DestinationOpenRequest) (pconnector.DestinationOpenResponse, error) {
	return pconnector.DestinationOpenResponse{}, nil
}

func (d *fakeDestination) Run(ctx context.Context, _ pconnector.DestinationRunStream) error {
	<-ctx.Done()
	return nil
}

func (d *fakeDestination) Stop(context.Context, pconnector.DestinationStopRequest) (pconnector.DestinationStopResponse, error) {
	return pconnector.DestinationStopResponse{}, nil
}

func (d *fakeDestination) Teardown(context.Context, pconnector.DestinationTeardownRequest) (pconnector.DestinationTeardownResponse, error) {
	return pconnector.DestinationTeardownResponse{}, nil
}

func (d *fakeDestination) LifecycleOnCreated(_ context.Context, req pconnector.DestinationLifecycleOnCreatedRequest) (pconnector.DestinationLifecycleOnCreatedResponse, error) {
	return pconnector.DestinationLifecycleOnCreatedResponse{}, d.rec.hook("created", nil, req.Config)
}

func (d *fakeDestination) LifecycleOnUpdated(_ context.Context, req pconnector.DestinationLifecycleOnUpdatedRequest) (pconnector.DestinationLifecycleOnUpdatedResponse, error) {
	return pconnector.DestinationLifecycleOnUpdatedResponse{}, d.rec.hook("updated", req.ConfigBefore, req.ConfigAfter)
}

func (d *fakeDestination) LifecycleOnDeleted(_ context.Context, req pconnector.DestinationLifecycleOnDeletedRequest) (pconnector.DestinationLifecycleOnDeletedResponse, error) {
	return pconnector.DestinationLifecycleOnDeletedResponse{}, d.rec.hook("deleted", req.Config, nil)
}

// waitEvents waits until the fake plugin has recorded exactly want (event and parameters).
func waitEvents(t *testing.T, path string, want ...hookEvent) {
	t.Helper()
	testcluster.Eventually(t, 60*time.Second, func() error {
		got := hookEvents(t, path)
		if len(got) != len(want) {
			return fmt.Errorf("hook calls %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i].Event != want[i].Event || fmt.Sprint(got[i].Before) != fmt.Sprint(want[i].Before) || fmt.Sprint(got[i].After) != fmt.Sprint(want[i].After) {
				t.Fatalf("hook call %d is %+v, want %+v", i, got[i], want[i])
			}
		}
		return nil
	})
}

// waitConnector waits until the connector instance is in state and returns the status body.
func waitConnector(t *testing.T, url, name, state string) string {
	t.Helper()
	var body string
	testcluster.Eventually(t, 60*time.Second, func() error {
		var code int
		code, body = testcluster.Do(t, "GET", url+"/connectors/"+name+"/status", "")
		if code != 200 || !strings.Contains(body, `"connector":{"state":"`+state+`"`) {
			return fmt.Errorf("%d %s", code, body)
		}
		return nil
	})
	return body
}

// hooksCluster starts n nodes with the fake plugin on plugin.path and an embedded broker.
func hooksCluster(t *testing.T, n int) (*testcluster.Cluster, string) {
	dir, events := fakePluginDir(t)
	c := testcluster.New(t, n, testcluster.With("plugin.path", dir), testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("scheduled.rebalance.max.delay.ms", "0"))
	return c, events
}

// ownerOf returns the index of the running node that runs the connector instance, or -1.
func ownerOf(t *testing.T, c *testcluster.Cluster, url, name string) int {
	t.Helper()
	var status struct {
		Connector struct {
			WorkerID string `json:"worker_id"`
		} `json:"connector"`
	}
	if err := json.Unmarshal([]byte(testcluster.MustDo(t, 200, "GET", url+"/connectors/"+name+"/status", "")), &status); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < c.Size(); i++ {
		if c.Node(i) != nil && strings.Contains(c.URL(i), status.Connector.WorkerID) {
			return i
		}
	}
	return -1
}

// TestLifecycleHooksRunOncePerConnector: OnCreated runs when a connector first starts; neither
// a stop and resume nor a move to another node (its node killed) runs a hook; a config change
// runs OnUpdated with the parameters before and after; a delete runs OnDeleted with the
// last-active parameters, after which the state no longer holds them.
func TestLifecycleHooksRunOncePerConnector(t *testing.T) {
	c, events := hooksCluster(t, 3)
	url := c.URL(0)
	testcluster.MustDo(t, 201, "POST", url+"/connectors", `{"name":"hk","config":{"connector.class":"HooksSource","topic":"t","value":"1"}}`)
	waitConnector(t, url, "hk", "RUNNING")
	v1, v2 := map[string]string{"value": "1"}, map[string]string{"value": "2"}
	waitEvents(t, events, hookEvent{Event: "created", After: v1})
	if got := hookEvents(t, events)[0].ID; got != "hk-lifecycle" {
		t.Fatalf("the hook ran in process %q, want a process of its own (hk-lifecycle)", got)
	}
	testcluster.Eventually(t, 10*time.Second, func() error {
		for i := 0; i < c.Size(); i++ {
			if la := c.Node(i).State().LastActiveConfig("hk"); la == nil || fmt.Sprint(la.Config) != fmt.Sprint(v1) || la.Class != "io.conduit.connectors.HooksSourceConnector" {
				return fmt.Errorf("node %d last-active config %+v", i, la)
			}
		}
		return nil
	})

	testcluster.MustDo(t, 204, "PUT", url+"/connectors/hk/stop", "")
	waitConnector(t, url, "hk", "STOPPED")
	// Stopping rebalances; a request in that window is refused with 409.
	testcluster.Eventually(t, 30*time.Second, func() error {
		if code, body := testcluster.Do(t, "PUT", url+"/connectors/hk/resume", ""); code != 202 {
			return fmt.Errorf("resume: %d %s", code, body)
		}
		return nil
	})
	waitConnector(t, url, "hk", "RUNNING")

	owner := ownerOf(t, c, url, "hk")
	if owner < 0 {
		t.Fatal("no node runs the connector")
	}
	c.Kill(owner)
	live := (owner + 1) % 3
	url = c.URL(live)
	testcluster.Eventually(t, 60*time.Second, func() error {
		if now := ownerOf(t, c, url, "hk"); now < 0 {
			return fmt.Errorf("connector not on a running node yet")
		}
		waitConnector(t, url, "hk", "RUNNING")
		return nil
	})
	// The connector reports RUNNING only after its start (and any hook) returned.
	waitEvents(t, events, hookEvent{Event: "created", After: v1})

	testcluster.MustDo(t, 200, "PUT", url+"/connectors/hk/config", `{"connector.class":"HooksSource","topic":"t","value":"2"}`)
	waitEvents(t, events, hookEvent{Event: "created", After: v1}, hookEvent{Event: "updated", Before: v1, After: v2})
	// The hook runs before its commit: wait for the commit, else the delete races with it
	// (and OnDeleted runs for both configs, at least once each).
	testcluster.Eventually(t, 10*time.Second, func() error {
		if la := c.Node(live).State().LastActiveConfig("hk"); la == nil || fmt.Sprint(la.Config) != fmt.Sprint(v2) {
			return fmt.Errorf("last-active config %+v", la)
		}
		return nil
	})

	testcluster.MustDo(t, 204, "DELETE", url+"/connectors/hk", "")
	waitEvents(t, events, hookEvent{Event: "created", After: v1}, hookEvent{Event: "updated", Before: v1, After: v2},
		hookEvent{Event: "deleted", Before: v2})
	testcluster.Eventually(t, 10*time.Second, func() error {
		for i := 0; i < c.Size(); i++ {
			if n := c.Node(i); n != nil && n.State().LastActiveConfig("hk") != nil {
				return fmt.Errorf("node %d still holds the deleted connector's last-active config", i)
			}
		}
		return nil
	})
}

// TestFailingLifecycleHook: a failing OnCreated fails the connector with the plugin's error in
// its trace and commits nothing, so the next start runs it again; a failing OnDeleted keeps the
// last-active config while the leader retries it, and a connector re-created under the same
// name takes that config over (OnUpdated from it) instead of having it deleted. A sink's
// destination gets OnCreated and OnDeleted the same way.
func TestFailingLifecycleHook(t *testing.T) {
	c, events := hooksCluster(t, 1)
	url := c.URL(0)
	testcluster.MustDo(t, 201, "POST", url+"/connectors", `{"name":"bad","config":{"connector.class":"HooksSource","topic":"t","fail":"created"}}`)
	body := waitConnector(t, url, "bad", "FAILED")
	if !strings.Contains(body, "fake failure of the created hook") || !strings.Contains(body, `lifecycle event \"created\"`) {
		t.Fatalf("the trace does not say which hook failed and why: %s", body)
	}
	if la := c.Node(0).State().LastActiveConfig("bad"); la != nil || len(hookEvents(t, events)) != 0 {
		t.Fatalf("a failed hook was committed: %+v", la)
	}

	failDeleted := map[string]string{"fail": "deleted", "value": "1"}
	testcluster.MustDo(t, 200, "PUT", url+"/connectors/bad/config", `{"connector.class":"HooksSource","topic":"t","fail":"deleted","value":"1"}`)
	waitConnector(t, url, "bad", "RUNNING")
	waitEvents(t, events, hookEvent{Event: "created", After: failDeleted})

	testcluster.MustDo(t, 204, "DELETE", url+"/connectors/bad", "")
	time.Sleep(3 * time.Second) // a few failed OnDeleted attempts
	if la := c.Node(0).State().LastActiveConfig("bad"); la == nil || fmt.Sprint(la.Config) != fmt.Sprint(failDeleted) {
		t.Fatalf("a failing OnDeleted cleared the last-active config: %+v", la)
	}

	v2 := map[string]string{"value": "2"}
	testcluster.MustDo(t, 201, "POST", url+"/connectors", `{"name":"bad","config":{"connector.class":"HooksSource","topic":"t","value":"2"}}`)
	waitConnector(t, url, "bad", "RUNNING")
	waitEvents(t, events, hookEvent{Event: "created", After: failDeleted}, hookEvent{Event: "updated", Before: failDeleted, After: v2})

	testcluster.MustDo(t, 201, "POST", url+"/connectors", `{"name":"sink","config":{"connector.class":"HooksSink","topics":"t","value":"3"}}`)
	waitConnector(t, url, "sink", "RUNNING")
	v3 := map[string]string{"value": "3"}
	waitEvents(t, events, hookEvent{Event: "created", After: failDeleted}, hookEvent{Event: "updated", Before: failDeleted, After: v2},
		hookEvent{Event: "created", After: v3})
	testcluster.MustDo(t, 204, "DELETE", url+"/connectors/sink", "")
	waitEvents(t, events, hookEvent{Event: "created", After: failDeleted}, hookEvent{Event: "updated", Before: failDeleted, After: v2},
		hookEvent{Event: "created", After: v3}, hookEvent{Event: "deleted", Before: v3})
}

// TestOnDeletedSurvivesTheLeadersDeath: the leader runs a deleted connector's OnDeleted; when the
// leader dies while the hook keeps failing, the next leader runs it, and only then is the
// last-active config cleared.
func TestOnDeletedSurvivesTheLeadersDeath(t *testing.T) {
	c, events := hooksCluster(t, 3)
	leader := c.WaitLeader()
	url := c.URL(leader)
	// PUT rather than POST: seen once, a POST right after the cluster formed answered 409
	// "already exists" for the connector it created (its commit retried across a leader change,
	// it seems); PUT is idempotent.
	if code, body := testcluster.Do(t, "PUT", url+"/connectors/hd/config", `{"connector.class":"HooksSource","topic":"t","value":"1"}`); code != 201 && code != 200 {
		t.Fatalf("create: %d %s", code, body)
	}
	v1 := map[string]string{"value": "1"}
	waitEvents(t, events, hookEvent{Event: "created", After: v1})
	testcluster.Eventually(t, 10*time.Second, func() error {
		if c.Node(leader).State().LastActiveConfig("hd") == nil {
			return errors.New("last-active config not committed yet")
		}
		return nil
	})

	failing := events + ".fail-deleted"
	if err := os.WriteFile(failing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	testcluster.MustDo(t, 204, "DELETE", url+"/connectors/hd", "")
	testcluster.Eventually(t, 30*time.Second, func() error {
		for _, e := range hookEvents(t, events) {
			if e.Event == "failed deleted" {
				return nil
			}
		}
		return errors.New("the leader has not tried OnDeleted yet")
	})
	c.Kill(leader)
	if err := os.Remove(failing); err != nil {
		t.Fatal(err)
	}
	survivor := (leader + 1) % 3
	testcluster.Eventually(t, 60*time.Second, func() error {
		var deleted []hookEvent
		for _, e := range hookEvents(t, events) {
			if e.Event == "deleted" {
				deleted = append(deleted, e)
			}
		}
		if len(deleted) != 1 || fmt.Sprint(deleted[0].Before) != fmt.Sprint(v1) {
			return fmt.Errorf("successful OnDeleted calls: %+v", deleted)
		}
		if la := c.Node(survivor).State().LastActiveConfig("hd"); la != nil {
			return fmt.Errorf("last-active config still held: %+v", la)
		}
		return nil
	})
}

// TestHooksDuringRollingUpgrade: while a voter runs a build that cannot apply the last-active
// command, a plugin connector still starts (its OnCreated runs, its commit is refused before the
// log); once every voter can, the next start runs OnCreated again and commits it.
func TestHooksDuringRollingUpgrade(t *testing.T) {
	c, events := hooksCluster(t, 3)
	old := (c.WaitLeader() + 1) % 3
	oldID := c.Node(old).NodeID()
	c.Shutdown(old)
	c.StartWith(old, agent.WithFSM(fsm.WithoutTypes(fsm.LastActiveConfigType)))
	c.WaitHealthy()
	// A write that reached the log before every node learned the old build's types would stop
	// the old node.
	testcluster.Eventually(t, 20*time.Second, func() error {
		for i := 0; i < c.Size(); i++ {
			for _, m := range c.Node(i).Cluster().Members {
				if m.NodeID == oldID && (m.Status != "alive" || fsm.KnowsType(m.Commands, fsm.LastActiveConfigType)) {
					return fmt.Errorf("node %d has not learned that %s lacks command type %d", i, oldID, fsm.LastActiveConfigType)
				}
			}
		}
		return nil
	})
	url := c.URL(c.WaitLeader())
	if code, body := testcluster.Do(t, "PUT", url+"/connectors/up/config", `{"connector.class":"HooksSource","topic":"t","value":"1"}`); code != 201 {
		t.Fatalf("create: %d %s", code, body)
	}
	waitConnector(t, url, "up", "RUNNING")
	v1 := map[string]string{"value": "1"}
	waitEvents(t, events, hookEvent{Event: "created", After: v1})
	if la := c.Node(0).State().LastActiveConfig("up"); la != nil {
		t.Fatalf("committed with a voter that cannot apply it: %+v", la)
	}

	c.Shutdown(old)
	c.Start(old)
	c.WaitHealthy()
	url = c.URL(c.WaitLeader())
	testcluster.Eventually(t, 30*time.Second, func() error {
		if code, body := testcluster.Do(t, "POST", url+"/connectors/up/restart", ""); code != 204 && code != 202 {
			return fmt.Errorf("restart: %d %s", code, body)
		}
		for _, e := range hookEvents(t, events)[1:] {
			if e.Event != "created" || fmt.Sprint(e.After) != fmt.Sprint(v1) {
				t.Fatalf("hook call %+v after the upgrade, want created %v", e, v1)
			}
		}
		if la := c.Node(c.WaitLeader()).State().LastActiveConfig("up"); la == nil || fmt.Sprint(la.Config) != fmt.Sprint(v1) {
			return fmt.Errorf("last-active config %+v after the upgrade", la)
		}
		return nil
	})
}
