import Foundation
public import ORDPRPC
public import Prometheus
import Synchronization

/// Prometheus metrics of a server's calls: `ordp_calls_total{method,code}` and
/// `ordp_call_duration_seconds{method}` (a histogram). Methods the server does not serve are
/// counted under `method="unknown"`, so a caller cannot grow the label set.
public final class CallMetrics: CallObserver {
  public let registry: PrometheusCollectorRegistry
  private let buckets: [Duration] = [
    .microseconds(250), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
    .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
    .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10),
  ]
  private struct Series {
    var counters: [String: [StatusCode: Counter]] = [:]
    var histograms: [String: DurationHistogram] = [:]
  }
  private let series = Mutex(Series())
  private static var calls: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "ordp", metricName: "calls", unitName: "total",
      helpText: "Calls ended, by method and status code.")
  }
  private static var durations: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "ordp", metricName: "call_duration", unitName: "seconds",
      helpText: "Time from a call's HEADERS to its end.")
  }

  public init(registry: PrometheusCollectorRegistry) { self.registry = registry }

  public func callEnded(_ call: EndedCall) {
    let method = call.methodKnown ? call.path : "unknown"
    let (counter, histogram) = series.withLock { series in
      let counter =
        series.counters[method, default: [:]][call.code]
        ?? registry.makeCounter(
          descriptor: Self.calls, labels: [("method", method), ("code", "\(call.code)")])
      series.counters[method, default: [:]][call.code] = counter
      let histogram =
        series.histograms[method]
        ?? registry.makeDurationHistogram(
          descriptor: Self.durations, labels: [("method", method)], buckets: buckets)
      series.histograms[method] = histogram
      return (counter, histogram)
    }
    counter.increment()
    histogram.record(
      Duration.nanoseconds(call.duration.nanoseconds))
  }
}
