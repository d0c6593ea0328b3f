package ui_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/connectd/connectd/internal/testcluster"
)

// browser finds Debian's chromium (or another Chrome), or skips the test.
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("no chromium on PATH: install it (apt-get install -y chromium) to run the web console test")
	return ""
}

// TestConsoleCreatesAndPausesAConnector drives the console in headless chromium against a
// follower: it creates a connector through the page's form, waits for RUNNING, pauses it from
// the detail panel and saves a screenshot.
func TestConsoleCreatesAndPausesAConnector(t *testing.T) {
	exe := browser(t)
	c := testcluster.New(t, 3,
		testcluster.With("bootstrap.servers", testcluster.StartBroker(t)),
		testcluster.With("scheduled.rebalance.max.delay.ms", "0"))
	c.WaitHealthy()
	node := (c.WaitLeader() + 1) % 3
	in := filepath.Join(t.TempDir(), "in.txt")
	if err := os.WriteFile(in, []byte("a\nb\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("headless", true), chromedp.WindowSize(1280, 1000))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 150*time.Second)
	defer cancelTimeout()

	// waitText waits until the element's text contains want.
	waitText := func(sel, want string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			var text string
			for {
				if err := chromedp.Run(ctx, chromedp.Text(sel, &text, chromedp.ByQuery)); err == nil && strings.Contains(text, want) {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("%s never showed %q (last %q): %w", sel, want, text, ctx.Err())
				case <-time.After(200 * time.Millisecond):
				}
			}
		})
	}
	var screenshot []byte
	var nodesText string
	err := chromedp.Run(ctx,
		chromedp.Navigate(c.URL(node)+"/ui/"),
		waitText("#health", "healthy"),
		waitText("#nodes tbody", "leader"),
		chromedp.Text("#nodes tbody", &nodesText, chromedp.ByQuery),
		chromedp.Click("#show-new", chromedp.ByQuery),
		waitText("#new-class", "FileStreamSourceConnector"),
		chromedp.SetValue("#new-class", "org.apache.kafka.connect.file.FileStreamSourceConnector", chromedp.ByQuery),
		chromedp.SendKeys("#new-name", "web-src", chromedp.ByQuery),
		// A bad value first: the error is shown next to its key and nothing is created.
		chromedp.SetValue("#new-config", "topic=web\nfile="+in+"\ntasks.max=0", chromedp.ByQuery),
		chromedp.Click("#create-btn", chromedp.ByQuery),
		waitText(`#new-errors div[data-key="tasks.max"]`, "at least 1"),
		chromedp.SetValue("#new-config", "topic=web\nfile="+in+"\ntasks.max=1", chromedp.ByQuery),
		chromedp.Click("#create-btn", chromedp.ByQuery),
		waitText("#detail-name", "web-src"),
		waitText(`#connectors tr[data-connector="web-src"] .state`, "RUNNING"),
		waitText(`#detail-tasks tr[data-instance="task 0"]`, "RUNNING"),
		waitText("#topics", "web"),
		chromedp.Click("#act-pause", chromedp.ByQuery),
		waitText(`#connectors tr[data-connector="web-src"] .state`, "PAUSED"),
		waitText(`#detail-tasks tr[data-instance="task 0"]`, "PAUSED"),
		chromedp.FullScreenshot(&screenshot, 100), // quality 100 makes a PNG
	)
	if err != nil {
		var errs string
		_ = chromedp.Run(ctx, chromedp.Text("#new-errors", &errs, chromedp.ByQuery))
		t.Fatalf("%v (form errors: %q)", err, errs)
	}
	if n := strings.Count(nodesText, "alive"); n != 3 {
		t.Errorf("the console lists %d alive nodes: %q", n, nodesText)
	}
	// The page drove the real cluster: another node sees the connector paused.
	testcluster.Eventually(t, 10*time.Second, func() error {
		if s := c.Node((node + 1) % 3).FSM().State().Connector("web-src"); s == nil || s.Target != "PAUSED" {
			return fmt.Errorf("connector on another node: %+v", s)
		}
		return nil
	})
	out := os.Getenv("CONNECTD_UI_SCREENSHOT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "console.png")
	}
	if err := os.WriteFile(out, screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(screenshot))
}
