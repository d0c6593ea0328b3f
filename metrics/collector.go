package metrics

import (
	"strconv"
	"strings"
	"time"

	"github.com/connectd/connectd/fsm"
)

// Kafka Connect's metric groups, as Prometheus name prefixes.
const (
	groupConnector = "kafka_connect_connector_metrics_"
	groupTask      = "kafka_connect_connector_task_metrics_"
	groupSource    = "kafka_connect_source_task_metrics_"
	groupSink      = "kafka_connect_sink_task_metrics_"
	groupErrors    = "kafka_connect_task_error_metrics_"
	groupWorker    = "kafka_connect_connect_worker_metrics_"
	groupRebalance = "kafka_connect_connect_worker_rebalance_metrics_"
)

var (
	connectorLabels = []string{"connector"}
	taskLabels      = []string{"connector", "task"}
)

// Descriptions, one per series family. Kafka's string-valued metrics (status, class, ...) are
// gauges of value 1 that carry the string as a label, as JMX exporters render them.
var (
	dConnectorStatus  = desc(groupConnector+"status", "The status of the connector on this worker (label status).", "connector", "status")
	dConnectorType    = desc(groupConnector+"connector_type", "The type of the connector: source or sink (label connector_type).", "connector", "connector_type")
	dConnectorClass   = desc(groupConnector+"connector_class", "The name of the connector class (label connector_class).", "connector", "connector_class")
	dConnectorVersion = desc(groupConnector+"connector_version", "The version of the connector class (label connector_version).", "connector", "connector_version")

	dTaskStatus       = desc(groupTask+"status", "The status of the connector task (label status).", "connector", "task", "status")
	dTaskRunningRatio = desc(groupTask+"running_ratio", "The fraction of time this task has spent in the running state.", taskLabels...)
	dTaskPauseRatio   = desc(groupTask+"pause_ratio", "The fraction of time this task has spent in the pause state.", taskLabels...)
	dTaskCommitMax    = desc(groupTask+"offset_commit_max_time_ms", "The maximum time in milliseconds taken by this task to commit offsets.", taskLabels...)
	dTaskCommitAvg    = desc(groupTask+"offset_commit_avg_time_ms", "The average time in milliseconds taken by this task to commit offsets.", taskLabels...)
	dTaskBatchMax     = desc(groupTask+"batch_size_max", "The maximum size of the batches processed by the connector.", taskLabels...)
	dTaskBatchAvg     = desc(groupTask+"batch_size_avg", "The average size of the batches processed by the connector.", taskLabels...)
	dTaskCommitFail   = desc(groupTask+"offset_commit_failure_percentage", "The average percentage of this task's offset commit attempts that failed.", taskLabels...)
	dTaskCommitOK     = desc(groupTask+"offset_commit_success_percentage", "The average percentage of this task's offset commit attempts that succeeded.", taskLabels...)

	dSourcePollRate   = desc(groupSource+"source_record_poll_rate", "The average per-second number of records polled by this task.", taskLabels...)
	dSourcePollTotal  = desc(groupSource+"source_record_poll_total", "The total number of records polled by this task.", taskLabels...)
	dSourceWriteRate  = desc(groupSource+"source_record_write_rate", "The average per-second number of records written to Kafka for this task.", taskLabels...)
	dSourceWriteTotal = desc(groupSource+"source_record_write_total", "The number of records written to Kafka for this task since it was last restarted.", taskLabels...)
	dSourcePollMax    = desc(groupSource+"poll_batch_max_time_ms", "The maximum time in milliseconds taken by this task to poll for a batch of source records.", taskLabels...)
	dSourcePollAvg    = desc(groupSource+"poll_batch_avg_time_ms", "The average time in milliseconds taken by this task to poll for a batch of source records.", taskLabels...)
	dSourceActive     = desc(groupSource+"source_record_active_count", "The number of records produced by this task but not yet completely written to Kafka.", taskLabels...)
	dSourceActiveMax  = desc(groupSource+"source_record_active_count_max", "The maximum number of records produced by this task but not yet completely written to Kafka.", taskLabels...)
	dSourceActiveAvg  = desc(groupSource+"source_record_active_count_avg", "The average number of records produced by this task but not yet completely written to Kafka.", taskLabels...)
	dSourceTxnMin     = desc(groupSource+"transaction_size_min", "The number of records in the smallest transaction the task has committed (0: exactly-once support is off).", taskLabels...)
	dSourceTxnMax     = desc(groupSource+"transaction_size_max", "The number of records in the largest transaction the task has committed (0: exactly-once support is off).", taskLabels...)
	dSourceTxnAvg     = desc(groupSource+"transaction_size_avg", "The average number of records in the transactions the task has committed (0: exactly-once support is off).", taskLabels...)

	dSinkReadRate     = desc(groupSink+"sink_record_read_rate", "The average per-second number of records read from Kafka for this task.", taskLabels...)
	dSinkReadTotal    = desc(groupSink+"sink_record_read_total", "The total number of records read from Kafka by this task since it was last restarted.", taskLabels...)
	dSinkSendRate     = desc(groupSink+"sink_record_send_rate", "The average per-second number of records put to this task.", taskLabels...)
	dSinkSendTotal    = desc(groupSink+"sink_record_send_total", "The total number of records put to this task since it was last restarted.", taskLabels...)
	dSinkLagMax       = desc(groupSink+"sink_record_lag_max", "The maximum lag in terms of number of records that the sink task is behind the consumer's position for any topic partitions.", taskLabels...)
	dSinkPartitions   = desc(groupSink+"partition_count", "The number of topic partitions assigned to this task.", taskLabels...)
	dSinkCommitSeq    = desc(groupSink+"offset_commit_seq_no", "The current sequence number for offset commits.", taskLabels...)
	dSinkCommitRate   = desc(groupSink+"offset_commit_completion_rate", "The average per-second number of offset commit completions that were completed successfully.", taskLabels...)
	dSinkCommitTotal  = desc(groupSink+"offset_commit_completion_total", "The total number of offset commit completions that were completed successfully.", taskLabels...)
	dSinkSkipRate     = desc(groupSink+"offset_commit_skip_rate", "The average per-second number of offset commit completions that were skipped.", taskLabels...)
	dSinkSkipTotal    = desc(groupSink+"offset_commit_skip_total", "The total number of offset commit completions that were skipped.", taskLabels...)
	dSinkPutMax       = desc(groupSink+"put_batch_max_time_ms", "The maximum time taken by this task to put a batch of sinks records.", taskLabels...)
	dSinkPutAvg       = desc(groupSink+"put_batch_avg_time_ms", "The average time taken by this task to put a batch of sinks records.", taskLabels...)
	dSinkActive       = desc(groupSink+"sink_record_active_count", "The number of records read from Kafka but not yet completely committed/flushed/acknowledged by the sink task.", taskLabels...)
	dSinkActiveMax    = desc(groupSink+"sink_record_active_count_max", "The maximum number of records read from Kafka but not yet completely committed/flushed/acknowledged by the sink task.", taskLabels...)
	dSinkActiveAvg    = desc(groupSink+"sink_record_active_count_avg", "The average number of records read from Kafka but not yet completely committed/flushed/acknowledged by the sink task.", taskLabels...)
	dSinkPartitionLag = desc("connectd_sink_partition_lag", "Records a sink task is behind the end of a partition it consumes.", "connector", "task", "topic", "partition")
	dErrFailures      = desc(groupErrors+"total_record_failures", "The number of record processing failures in this task.", taskLabels...)
	dErrErrors        = desc(groupErrors+"total_record_errors", "The number of record processing errors in this task.", taskLabels...)
	dErrSkipped       = desc(groupErrors+"total_records_skipped", "The number of records skipped due to errors.", taskLabels...)
	dErrRetries       = desc(groupErrors+"total_retries", "The number of operations retried.", taskLabels...)
	dErrLogged        = desc(groupErrors+"total_errors_logged", "The number of errors that were logged.", taskLabels...)
	dErrDLQRequests   = desc(groupErrors+"deadletterqueue_produce_requests", "The number of attempted writes to the dead letter queue.", taskLabels...)
	dErrDLQFailures   = desc(groupErrors+"deadletterqueue_produce_failures", "The number of failed writes to the dead letter queue.", taskLabels...)
	dErrLastTimestamp = desc(groupErrors+"last_error_timestamp", "The epoch timestamp (ms) when this task last encountered an error.", taskLabels...)
	dWorkerConnectors = desc(groupWorker+"connector_count", "The number of connectors run in this worker.")
	dWorkerTasks      = desc(groupWorker+"task_count", "The number of tasks run in this worker.")
	dWorkerConnStarts = startupDescs("connector")
	dWorkerTaskStarts = startupDescs("task")
	dWorkerTaskCount  = map[string]*family{}

	dRebalanceProtocol = desc(groupRebalance+"connect_protocol", "The Connect protocol used by this cluster (label connect_protocol).", "connect_protocol")
	dRebalanceLeader   = desc(groupRebalance+"leader_name", "The name of the group leader (label leader_name).", "leader_name")
	dRebalanceEpoch    = desc(groupRebalance+"epoch", "The epoch or generation number of this worker.")
	dRebalanceTotal    = desc(groupRebalance+"completed_rebalances_total", "The total number of rebalances completed by this worker.")
	dRebalancing       = desc(groupRebalance+"rebalancing", "Whether this worker is currently rebalancing.")
	dRebalanceMax      = desc(groupRebalance+"rebalance_max_time_ms", "The maximum time in milliseconds spent by this worker to rebalance.")
	dRebalanceAvg      = desc(groupRebalance+"rebalance_avg_time_ms", "The average time in milliseconds spent by this worker to rebalance.")
	dRebalanceSince    = desc(groupRebalance+"time_since_last_rebalance_ms", "The time in milliseconds since this worker completed the most recent rebalance.")

	dRaftApplied  = desc("connectd_raft_applied_index", "The last Raft log index this node applied.")
	dRaftCommit   = desc("connectd_raft_commit_index", "The last Raft log index this node knows committed.")
	dRaftTerm     = desc("connectd_raft_term", "This node's current Raft term.")
	dRaftSnapshot = desc("connectd_raft_last_snapshot_index", "The Raft log index of this node's last snapshot.")
	dRaftState    = desc("connectd_raft_state", "This node's Raft state (label state), 1 for the current one.", "state")
	dMembers      = desc("connectd_gossip_members", "Gossip members this node knows, by state (alive, failed, left).", "state")
	dRenewals     = desc("connectd_lease_renewals_total", "Worker lease renewals the leader granted this node.")
	dLapses       = desc("connectd_lease_lapses_total", "Times this node's worker lease ran out before it was renewed.")
)

// Kafka's per-connector task counts on a worker, by the task state they count.
var taskCountStates = []struct{ metric, state string }{
	{"connector_running_task_count", fsm.StateRunning},
	{"connector_paused_task_count", fsm.StatePaused},
	{"connector_failed_task_count", fsm.StateFailed},
	{"connector_unassigned_task_count", fsm.StateUnassigned},
	{"connector_destroyed_task_count", "DESTROYED"},
	{"connector_restarting_task_count", fsm.StateRestarting},
}

func init() {
	dWorkerTaskCount["total"] = desc(groupWorker+"connector_total_task_count", "The number of tasks of the connector on the worker.", connectorLabels...)
	for _, s := range taskCountStates {
		dWorkerTaskCount[s.state] = desc(groupWorker+s.metric, "The number of "+strings.ToLower(s.state)+" tasks of the connector on the worker.", connectorLabels...)
	}
}

// startupFamilies are connect-worker-metrics' counts of connector or of task starts.
type startupFamilies struct{ attempts, success, successPct, failure, failurePct *family }

// startupDescs describes the start counts of kind ("connector" or "task").
func startupDescs(kind string) startupFamilies {
	return startupFamilies{
		attempts:   desc(groupWorker+kind+"_startup_attempts_total", "The total number of "+kind+" startups that this worker has attempted."),
		success:    desc(groupWorker+kind+"_startup_success_total", "The total number of "+kind+" starts that succeeded."),
		successPct: desc(groupWorker+kind+"_startup_success_percentage", "The average percentage of this worker's "+kind+"s starts that succeeded."),
		failure:    desc(groupWorker+kind+"_startup_failure_total", "The total number of "+kind+" starts that failed."),
		failurePct: desc(groupWorker+kind+"_startup_failure_percentage", "The average percentage of this worker's "+kind+"s starts that failed."),
	}
}

func (f startupFamilies) write(e *exposition, attempts, failures int64) {
	e.counter(f.attempts, float64(attempts))
	e.counter(f.success, float64(attempts-failures))
	e.counter(f.failure, float64(failures))
	e.gauge(f.successPct, percent(attempts-failures, attempts))
	e.gauge(f.failurePct, percent(failures, attempts))
}

// collector builds the state-derived series at scrape time.
type collector struct {
	n *Node
}

// collect writes the state-derived series of one scrape.
func (c *collector) collect(e *exposition) {
	now := time.Now()
	n := c.n
	gauge, counter := e.gauge, e.counter
	var state *fsm.State
	if n.src.State != nil {
		state = n.src.State()
	}
	var owned fsm.Items
	var generation uint64
	if state != nil {
		a := state.Assignment()
		owned, generation = a.Owned[n.src.Node], a.Generation
	}
	c.collectConnectors(state, owned, gauge)
	c.collectTasks(now, state, e)

	// connect-worker-metrics
	gauge(dWorkerConnectors, float64(len(owned.Connectors)))
	gauge(dWorkerTasks, float64(len(owned.Tasks)))
	dWorkerConnStarts.write(e, n.connectorStarts.Load(), n.connectorFailures.Load())
	dWorkerTaskStarts.write(e, n.taskStarts.Load(), n.taskFailures.Load())

	// connect-worker-rebalance-metrics
	gauge(dRebalanceProtocol, 1, n.src.Protocol)
	if n.src.LeaderURL != nil {
		if leader := n.src.LeaderURL(); leader != "" {
			gauge(dRebalanceLeader, 1, leader)
		}
	}
	gauge(dRebalanceEpoch, float64(generation))
	counter(dRebalanceTotal, float64(n.rebalances.Load()))
	gauge(dRebalancing, boolValue(n.rebalancing.Load()))
	e.stat(dRebalanceMax, dRebalanceAvg, &n.rebalanceTime, 1e6, nil)
	since := 0.0
	if last := n.rebalanceTime.count.Load(); last > 0 {
		since = float64(now.UnixNano()-n.lastRebalance.Load()) / 1e6
	}
	gauge(dRebalanceSince, since)

	c.collectNode(gauge, counter)
}

// collectConnectors reports connector-metrics and the per-connector task counts of
// connect-worker-metrics for the connectors and tasks this worker owns.
func (c *collector) collectConnectors(state *fsm.State, owned fsm.Items, gauge func(*family, float64, ...string)) {
	if state == nil {
		return
	}
	for _, name := range owned.Connectors {
		conn := state.Connector(name)
		if conn == nil {
			continue
		}
		status := "unassigned"
		if s := state.ConnectorStatus(name); s != nil {
			status = strings.ToLower(s.State)
		}
		gauge(dConnectorStatus, 1, name, status)
		class := conn.Config["connector.class"]
		kind, version := "unknown", ""
		if c.n.src.ConnectorInfo != nil {
			kind, version = c.n.src.ConnectorInfo(class)
		}
		gauge(dConnectorType, 1, name, kind)
		gauge(dConnectorClass, 1, name, class)
		gauge(dConnectorVersion, 1, name, version)
	}
	counts := map[string]map[string]int{}
	for _, t := range owned.Tasks {
		byState := counts[t.Connector]
		if byState == nil {
			byState = map[string]int{}
			counts[t.Connector] = byState
		}
		st := fsm.StateUnassigned
		if s := state.TaskStatus(t.Connector, t.Task); s != nil {
			st = s.State
		}
		byState[st]++
		byState["total"]++
	}
	for conn, byState := range counts {
		gauge(dWorkerTaskCount["total"], float64(byState["total"]), conn)
		for _, s := range taskCountStates {
			gauge(dWorkerTaskCount[s.state], float64(byState[s.state]), conn)
		}
	}
}

// collectTasks reports the task groups for the tasks this worker runs.
func (c *collector) collectTasks(now time.Time, state *fsm.State, e *exposition) {
	for _, t := range c.n.taskList() {
		conn, task := t.connector, strconv.Itoa(t.task)
		gauge := func(f *family, v float64) { e.series(f, "gauge", v, t.labels) }
		counter := func(f *family, v float64) { e.series(f, "counter", v, t.labels) }
		status := t.currentState()
		if state != nil {
			if s := state.TaskStatus(t.connector, t.task); s != nil {
				status = strings.ToLower(s.State)
			}
		}
		e.gauge(dTaskStatus, 1, conn, task, status)
		running, paused := t.ratios(now)
		gauge(dTaskRunningRatio, running)
		gauge(dTaskPauseRatio, paused)
		e.stat(dTaskCommitMax, dTaskCommitAvg, &t.commitTime, 1e6, t.labels)
		e.stat(dTaskBatchMax, dTaskBatchAvg, &t.batch, 1, t.labels)
		ok, failed := t.commitOK.Load(), t.commitFail.Load()
		gauge(dTaskCommitFail, percent(failed, ok+failed))
		gauge(dTaskCommitOK, percent(ok, ok+failed))

		if t.sink {
			e.total(dSinkReadRate, dSinkReadTotal, &t.read, now, t.labels)
			e.total(dSinkSendRate, dSinkSendTotal, &t.sent, now, t.labels)
			var lagMax int64
			t.eachLag(func(tp TopicPartition, lag int64) {
				lagMax = max(lagMax, lag)
				e.gauge(dSinkPartitionLag, float64(lag), conn, task, tp.Topic, strconv.Itoa(int(tp.Partition)))
			})
			gauge(dSinkLagMax, float64(lagMax))
			gauge(dSinkPartitions, float64(t.partitions.Load()))
			gauge(dSinkCommitSeq, float64(t.commitSeq.Load()))
			e.total(dSinkCommitRate, dSinkCommitTotal, &t.commitOK, now, t.labels)
			e.total(dSinkSkipRate, dSinkSkipTotal, &t.commitSkipped, now, t.labels)
			e.stat(dSinkPutMax, dSinkPutAvg, &t.putTime, 1e6, t.labels)
			// Records put but not yet committed: what a crash now would deliver again.
			gauge(dSinkActive, float64(t.uncommitted.Load()))
			e.stat(dSinkActiveMax, dSinkActiveAvg, &t.activeObs, 1, t.labels)
		} else {
			e.total(dSourcePollRate, dSourcePollTotal, &t.polled, now, t.labels)
			e.total(dSourceWriteRate, dSourceWriteTotal, &t.written, now, t.labels)
			e.stat(dSourcePollMax, dSourcePollAvg, &t.pollTime, 1e6, t.labels)
			gauge(dSourceActive, float64(max(t.active.Load(), 0)))
			e.stat(dSourceActiveMax, dSourceActiveAvg, &t.activeObs, 1, t.labels)
			// connectd's source tasks are not transactional: no transactions, sizes 0, as Kafka
			// reports without exactly.once.source.support.
			gauge(dSourceTxnMin, 0)
			gauge(dSourceTxnMax, 0)
			gauge(dSourceTxnAvg, 0)
		}

		counter(dErrFailures, float64(t.recordFailures.Load()))
		counter(dErrErrors, float64(t.recordErrors.Load()))
		counter(dErrSkipped, float64(t.recordsSkipped.Load()))
		counter(dErrRetries, float64(t.retries.Load()))
		counter(dErrLogged, float64(t.errorsLogged.Load()))
		counter(dErrDLQRequests, float64(t.dlqRequests.Load()))
		counter(dErrDLQFailures, float64(t.dlqFailures.Load()))
		gauge(dErrLastTimestamp, float64(t.lastError.Load()))
	}
}

// stat writes one of Kafka's Max/Avg stat pairs, divided by unit (1e6 turns ns into ms).
func (e *exposition) stat(dMax, dAvg *family, s *stat, unit float64, labels []byte) {
	e.series(dMax, "gauge", float64(s.max.Load())/unit, labels)
	e.series(dAvg, "gauge", s.avg()/unit, labels)
}

// total writes one of Kafka's Rate/CumulativeSum pairs: the per-second rate and the total.
func (e *exposition) total(dRate, dTotal *family, c *total, now time.Time, labels []byte) {
	n := c.Load()
	e.series(dRate, "gauge", c.window.rate(now, n), labels)
	e.series(dTotal, "counter", float64(n), labels)
}

// collectNode reports connectd's own node metrics read from Raft, gossip and the lease.
func (c *collector) collectNode(gauge, counter func(*family, float64, ...string)) {
	n := c.n
	if n.src.Raft != nil {
		stats := n.src.Raft()
		num := func(key string) float64 {
			v, _ := strconv.ParseUint(stats[key], 10, 64)
			return float64(v)
		}
		gauge(dRaftApplied, num("applied_index"))
		gauge(dRaftCommit, num("commit_index"))
		gauge(dRaftTerm, num("term"))
		gauge(dRaftSnapshot, num("last_snapshot_index"))
		for _, s := range []string{"Follower", "Candidate", "Leader", "Shutdown"} {
			gauge(dRaftState, boolValue(stats["state"] == s), strings.ToLower(s))
		}
	}
	if n.src.Members != nil {
		byState := n.src.Members()
		for _, s := range []string{"alive", "failed", "left"} {
			gauge(dMembers, float64(byState[s]), s)
		}
	}
	if n.src.Lease != nil {
		renewals, lapses := n.src.Lease()
		counter(dRenewals, float64(renewals))
		counter(dLapses, float64(lapses))
	}
}

// percent is part's share of whole in percent, 0 when whole is.
func percent(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
