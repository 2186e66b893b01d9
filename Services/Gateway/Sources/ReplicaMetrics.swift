public import Prometheus
import Synchronization

/// Per-replica Prometheus metrics of one backend: `ordp_gateway_replica_outstanding`,
/// `ordp_gateway_replica_healthy` (1 while its health watch says SERVING),
/// `ordp_gateway_replica_ejections_total`, labelled by backend and replica address; and
/// `ordp_gateway_retries_total` per backend. Nothing is recorded until `attach` gives it a
/// registry (the gateway runs with `--metrics-port`).
public final class ReplicaMetrics: Sendable {
  private struct Series {
    var outstanding: Gauge
    var healthy: Gauge
    var ejections: Counter
  }

  private struct State {
    var registry: PrometheusCollectorRegistry? = nil
    var series: [BackendPool.Key: Series] = [:]
    /// Replicas the topology names (a dropped one finishing its calls gets no series again).
    var known: Set<BackendPool.Key> = []
    var retries: Counter? = nil
    var hedges: Counter? = nil
  }

  private let backend: Backend
  private let state = Mutex(State())

  init(backend: Backend) { self.backend = backend }

  private static func name(
    _ metric: String, _ unit: String?, _ help: String
  ) -> MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "ordp", subsystem: "gateway", metricName: metric, unitName: unit ?? "",
      helpText: help)
  }

  /// Records into `registry` from now on.
  public func attach(_ registry: PrometheusCollectorRegistry) {
    state.withLock { s in
      s.registry = registry
      s.retries = registry.makeCounter(
        descriptor: Self.name("retries", "total", "Calls tried again on another replica."),
        labels: [("backend", backend.rawValue)])
      s.hedges = registry.makeCounter(
        descriptor: Self.name(
          "hedges", "total", "Second attempts of reads sent after the hedging delay."),
        labels: [("backend", backend.rawValue)])
    }
  }

  private func series(_ key: BackendPool.Key) -> Series? {
    state.withLock { s in
      if let series = s.series[key] { return series }
      guard let registry = s.registry, s.known.contains(key) else { return nil }
      let labels = [("backend", backend.rawValue), ("replica", "\(key.host):\(key.port)")]
      let series = Series(
        outstanding: registry.makeGauge(
          descriptor: Self.name("replica_outstanding", nil, "Calls in flight on the replica."),
          labels: labels),
        healthy: registry.makeGauge(
          descriptor: Self.name(
            "replica_healthy", nil, "1 while the replica's health watch says SERVING."),
          labels: labels),
        ejections: registry.makeCounter(
          descriptor: Self.name(
            "replica_ejections", "total", "Times the replica was ejected after failures."),
          labels: labels))
      s.series[key] = series
      return series
    }
  }

  func replicaAdded(_ key: BackendPool.Key) {
    state.withLock { _ = $0.known.insert(key) }
    _ = series(key)
  }
  func outstanding(_ key: BackendPool.Key, delta: Double) {
    series(key)?.outstanding.increment(by: delta)
  }
  func health(_ key: BackendPool.Key, _ serving: Bool) {
    series(key)?.healthy.set(to: serving ? 1 : 0)
  }
  func ejected(_ key: BackendPool.Key) { series(key)?.ejections.increment() }
  func retried() { state.withLock { $0.retries }?.increment() }
  func hedged() { state.withLock { $0.hedges }?.increment() }

  /// Drops the series of replicas the topology no longer names.
  func keepOnly(_ keys: Set<BackendPool.Key>) {
    state.withLock { s in
      s.known = keys
      for (key, series) in s.series where !keys.contains(key) {
        s.registry?.unregisterGauge(series.outstanding)
        s.registry?.unregisterGauge(series.healthy)
        s.registry?.unregisterCounter(series.ejections)
        s.series.removeValue(forKey: key)
      }
    }
  }
}
