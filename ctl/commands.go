package ctl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
)

// runner runs one command.
type runner struct {
	o   *options
	c   *client
	out io.Writer
	err io.Writer
}

// connectorInfo and connectorStatus are Kafka Connect's JSON shapes.
type connectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []struct {
		Connector string `json:"connector"`
		Task      int    `json:"task"`
	} `json:"tasks"`
	Type string `json:"type"`
}

type instanceStatus struct {
	ID       int    `json:"id,omitempty"`
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	Trace    string `json:"trace,omitempty"`
}

type connectorStatus struct {
	Name      string           `json:"name"`
	Connector instanceStatus   `json:"connector"`
	Tasks     []instanceStatus `json:"tasks"`
	Type      string           `json:"type"`
}

func (r *runner) run(ctx context.Context) error {
	a := r.o.args
	verb := a[0]
	noun := func(want ...string) (string, error) {
		if len(a) < 2 {
			return "", usagef("%s needs one of: %s", verb, strings.Join(want, ", "))
		}
		n := strings.TrimSuffix(a[1], "s")
		for _, w := range want {
			if strings.TrimSuffix(w, "s") == n {
				return w, nil
			}
		}
		return "", usagef("cannot %s %q: use one of %s", verb, a[1], strings.Join(want, ", "))
	}
	name := func(pos int) (string, error) {
		if len(a) <= pos {
			return "", usagef("%s needs a connector name", strings.Join(a, " "))
		}
		return a[pos], nil
	}
	// connector reads "connector NAME" after the verb.
	connector := func() (string, error) {
		if _, err := noun("connector"); err != nil {
			return "", err
		}
		return name(2)
	}
	switch verb {
	case "get":
		n, err := noun("connectors", "plugins", "loggers", "nodes", "offsets")
		if err != nil {
			return err
		}
		if n == "offsets" {
			c, err := name(2)
			if err != nil {
				return err
			}
			return r.getOffsets(ctx, c)
		}
		return r.get(ctx, n)
	case "describe":
		c, err := connector()
		if err != nil {
			return err
		}
		return r.describe(ctx, c)
	case "apply":
		return r.apply(ctx)
	case "patch":
		c, err := connector()
		if err != nil {
			return err
		}
		return r.patch(ctx, c)
	case "pause", "resume", "stop", "restart", "delete":
		c, err := connector()
		if err != nil {
			return err
		}
		return r.action(ctx, verb, c)
	case "offsets":
		if len(a) < 3 || (a[1] != "alter" && a[1] != "reset") {
			return usagef("offsets takes alter NAME -f FILE or reset NAME")
		}
		return r.offsets(ctx, a[1], a[2])
	case "logs":
		if len(a) < 2 || a[1] != "level" {
			return usagef("logs takes level [LOGGER [LEVEL]]")
		}
		return r.logLevel(ctx, a[2:])
	}
	return usagef("unknown command %q", verb)
}

// printJSON indents a JSON answer for -o json.
func (r *runner) printJSON(raw []byte) error {
	var buf bytes.Buffer
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := r.out.Write(buf.Bytes())
	return err
}

func (r *runner) table(header string, rows [][]string) error {
	tw := tabwriter.NewWriter(r.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func (r *runner) get(ctx context.Context, what string) error {
	switch what {
	case "connectors":
		type expanded map[string]struct {
			Info   connectorInfo   `json:"info"`
			Status connectorStatus `json:"status"`
		}
		return read(ctx, r, "/connectors?expand=info&expand=status", "NAME\tTYPE\tSTATE\tTASKS RUNNING\tWORKER\tCLASS", func(all expanded) (rows [][]string) {
			for _, n := range slices.Sorted(maps.Keys(all)) {
				c := all[n]
				running := 0
				for _, t := range c.Status.Tasks {
					if t.State == "RUNNING" {
						running++
					}
				}
				rows = append(rows, []string{n, c.Status.Type, c.Status.Connector.State, fmt.Sprintf("%d/%d", running, len(c.Status.Tasks)),
					c.Status.Connector.WorkerID, c.Info.Config["connector.class"]})
			}
			return rows
		})
	case "plugins":
		type plugins []struct {
			Class   string `json:"class"`
			Type    string `json:"type"`
			Version string `json:"version"`
		}
		return read(ctx, r, "/connector-plugins?connectorsOnly=false", "TYPE\tCLASS\tVERSION", func(all plugins) (rows [][]string) {
			for _, p := range all {
				rows = append(rows, []string{p.Type, p.Class, p.Version})
			}
			return rows
		})
	case "loggers":
		type loggers map[string]struct {
			Level        string `json:"level"`
			LastModified *int64 `json:"last_modified"`
		}
		return read(ctx, r, "/admin/loggers", "LOGGER\tLEVEL", func(all loggers) (rows [][]string) {
			for _, n := range slices.Sorted(maps.Keys(all)) {
				rows = append(rows, []string{n, all[n].Level})
			}
			return rows
		})
	}
	// nodes: connectd's own view of the cluster.
	type cluster struct {
		NodeID  string `json:"node_id"`
		Leader  string `json:"leader"`
		Members []struct {
			NodeID  string `json:"node_id"`
			Status  string `json:"status"`
			RESTURL string `json:"rest_url"`
		} `json:"members"`
	}
	return read(ctx, r, "/connectd/cluster", "NODE\tSTATUS\tROLE\tURL", func(c cluster) (rows [][]string) {
		for _, m := range c.Members {
			role := "follower"
			if m.NodeID == c.Leader {
				role = "leader"
			}
			rows = append(rows, []string{m.NodeID, m.Status, role, m.RESTURL})
		}
		return rows
	})
}

// read GETs path and prints the answer: indented JSON with -o json, else a table of the rows
// that rows makes of it under header.
func read[T any](ctx context.Context, r *runner, path, header string, rows func(T) [][]string) error {
	var answer T
	_, raw, err := r.c.do(ctx, http.MethodGet, path, nil, &answer)
	if err != nil || r.o.output == "json" {
		return r.orJSON(raw, err)
	}
	return r.table(header, rows(answer))
}

// orJSON finishes a read: the error, else the answer as indented JSON.
func (r *runner) orJSON(raw []byte, err error) error {
	if err != nil {
		return err
	}
	return r.printJSON(raw)
}

// report prints a write's answer: indented JSON with -o json, else msg.
func (r *runner) report(raw []byte, msg string) error {
	if r.o.output == "json" {
		return r.printJSON(raw)
	}
	_, err := fmt.Fprintln(r.out, msg)
	return err
}

func (r *runner) getOffsets(ctx context.Context, name string) error {
	type offsets struct {
		Offsets []struct {
			Partition json.RawMessage `json:"partition"`
			Offset    json.RawMessage `json:"offset"`
		} `json:"offsets"`
	}
	return read(ctx, r, "/connectors/"+url.PathEscape(name)+"/offsets", "PARTITION\tOFFSET", func(all offsets) (rows [][]string) {
		for _, o := range all.Offsets {
			rows = append(rows, []string{string(o.Partition), string(o.Offset)})
		}
		return rows
	})
}

func (r *runner) describe(ctx context.Context, name string) error {
	path := "/connectors/" + url.PathEscape(name)
	var info connectorInfo
	_, rawInfo, err := r.c.do(ctx, http.MethodGet, path, nil, &info)
	if err != nil {
		return err
	}
	var status connectorStatus
	_, rawStatus, err := r.c.do(ctx, http.MethodGet, path+"/status", nil, &status)
	if err != nil {
		return err
	}
	var topics map[string]struct {
		Topics []string `json:"topics"`
	}
	_, rawTopics, topicsErr := r.c.do(ctx, http.MethodGet, path+"/topics", nil, &topics)
	if r.o.output == "json" {
		if topicsErr != nil {
			rawTopics = []byte("null")
		}
		return r.printJSON([]byte(fmt.Sprintf(`{"info":%s,"status":%s,"topics":%s}`, rawInfo, rawStatus, rawTopics)))
	}
	tw := tabwriter.NewWriter(r.out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Name:\t%s\n", info.Name)
	fmt.Fprintf(tw, "Type:\t%s\n", status.Type)
	fmt.Fprintf(tw, "State:\t%s\n", status.Connector.State)
	fmt.Fprintf(tw, "Worker ID:\t%s\n", status.Connector.WorkerID)
	if topicsErr == nil {
		fmt.Fprintf(tw, "Topics:\t%s\n", strings.Join(topics[name].Topics, ", "))
	}
	fmt.Fprintln(tw, "Config:")
	for _, k := range slices.Sorted(maps.Keys(info.Config)) {
		fmt.Fprintf(tw, "  %s:\t%s\n", k, info.Config[k])
	}
	fmt.Fprintln(tw, "Tasks:")
	for _, t := range status.Tasks {
		fmt.Fprintf(tw, "  %d:\t%s\t%s\n", t.ID, t.State, t.WorkerID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, t := range append([]instanceStatus{status.Connector}, status.Tasks...) {
		if t.Trace != "" {
			fmt.Fprintf(r.out, "\nTrace (%s %s):\n%s\n", t.State, t.WorkerID, t.Trace)
		}
	}
	return nil
}

func (r *runner) apply(ctx context.Context) error {
	if r.o.file == "" {
		return usagef("apply needs -f FILE (JSON or .properties; - for standard input)")
	}
	var data []byte
	var err error
	if r.o.file == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(r.o.file)
	}
	if err != nil {
		return usagef("%v", err)
	}
	name, config, err := ParseConnectorFile(data)
	if err != nil {
		return usagef("%s: %v", r.o.file, err)
	}
	body, _ := json.Marshal(config)
	code, raw, err := r.c.do(ctx, http.MethodPut, "/connectors/"+url.PathEscape(name)+"/config", body, nil)
	if err != nil {
		return err
	}
	done := "Updated"
	if code == http.StatusCreated {
		done = "Created"
	}
	if err := r.report(raw, done+" connector "+name); err != nil {
		return err
	}
	return r.waitFor(ctx, name)
}

func (r *runner) patch(ctx context.Context, name string) error {
	if len(r.o.set) == 0 && len(r.o.remove) == 0 {
		return usagef("patch needs -s KEY=VALUE or -r KEY")
	}
	changes := map[string]any{}
	for _, s := range r.o.set {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			return usagef("-s takes KEY=VALUE, not %q", s)
		}
		changes[k] = v
	}
	for _, k := range r.o.remove {
		changes[k] = nil
	}
	body, _ := json.Marshal(changes)
	_, raw, err := r.c.do(ctx, http.MethodPatch, "/connectors/"+url.PathEscape(name)+"/config", body, nil)
	if err != nil {
		return err
	}
	if err := r.report(raw, "Patched connector "+name); err != nil {
		return err
	}
	return r.waitFor(ctx, name)
}

func (r *runner) action(ctx context.Context, verb, name string) error {
	path := "/connectors/" + url.PathEscape(name)
	method := http.MethodPut
	past := map[string]string{"pause": "Paused", "resume": "Resumed", "stop": "Stopped", "restart": "Restarted", "delete": "Deleted"}[verb]
	switch verb {
	case "pause", "resume", "stop":
		path += "/" + verb
	case "restart":
		method = http.MethodPost
		path += fmt.Sprintf("/restart?includeTasks=%t&onlyFailed=%t", r.o.tasks, r.o.failed)
	case "delete":
		method = http.MethodDelete
	}
	_, raw, err := r.c.do(ctx, method, path, nil, nil)
	if err != nil {
		return err
	}
	if err := r.report(raw, past+" connector "+name); err != nil || verb == "delete" {
		return err
	}
	return r.waitFor(ctx, name)
}

func (r *runner) offsets(ctx context.Context, op, name string) error {
	path := "/connectors/" + url.PathEscape(name) + "/offsets"
	method := http.MethodDelete
	var body []byte
	if op == "alter" {
		if r.o.file == "" {
			return usagef("offsets alter needs -f FILE with {\"offsets\":[...]}")
		}
		var err error
		if body, err = os.ReadFile(r.o.file); err != nil {
			return usagef("%v", err)
		}
		if !json.Valid(body) {
			return usagef("%s is not JSON", r.o.file)
		}
		method = http.MethodPatch
	}
	var answer struct {
		Message string `json:"message"`
	}
	_, raw, err := r.c.do(ctx, method, path, body, &answer)
	if err != nil || r.o.output == "json" {
		return r.orJSON(raw, err)
	}
	fmt.Fprintln(r.out, answer.Message)
	return nil
}

func (r *runner) logLevel(ctx context.Context, args []string) error {
	switch len(args) {
	case 0:
		return r.get(ctx, "loggers")
	case 1:
		_, raw, err := r.c.do(ctx, http.MethodGet, "/admin/loggers/"+url.PathEscape(args[0]), nil, nil)
		return r.orJSON(raw, err)
	}
	body, _ := json.Marshal(map[string]string{"level": args[1]})
	var changed []string
	_, raw, err := r.c.do(ctx, http.MethodPut, "/admin/loggers/"+url.PathEscape(args[0]), body, &changed)
	if err != nil || r.o.output == "json" {
		return r.orJSON(raw, err)
	}
	fmt.Fprintf(r.out, "Set %s to %s: %s\n", args[0], strings.ToUpper(args[1]), strings.Join(changed, ", "))
	return nil
}
