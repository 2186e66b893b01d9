public import Logging
public import ORDPRPC

/// One log line per call (label `ordp.access`, level info): method, caller, status, duration,
/// request id, trace id, peer — what an operator greps for when a town reports a failure.
/// Client-chosen text (an unknown method's path, a request id) is cut to 128 printable
/// characters, so a caller cannot forge lines or flood the log with one call.
public struct AccessLog: CallObserver {
  let logger: Logger

  public init(logger: Logger = Logger(label: "ordp.access")) { self.logger = logger }

  public func callEnded(_ call: EndedCall) {
    // Nothing is formatted when the level hides the line (`--log-level warning` and above).
    guard logger.logLevel <= .info else { return }
    let traceID = call.requestMetadata["traceparent"].flatMap(Self.traceID) ?? "-"
    logger.info(
      "call",
      metadata: [
        "method": "\(Self.printable(call.path))",
        "caller": "\(call.caller.map(Self.printable) ?? "-")",
        "status": "\(call.code)",
        "ms": "\(Double(call.duration.nanoseconds / 1000) / 1000)",
        "request_id": "\(call.requestMetadata["ordp-request-id"].map(Self.printable) ?? "-")",
        "trace_id": "\(traceID)",
        "peer":
          "\(call.peerIdentity.map(Self.printable) ?? call.remoteAddress.map { "\($0)" } ?? "-")",
      ])
  }

  /// The trace id of a W3C `traceparent` ("00-<32 hex>-<16 hex>-<2 hex>"), or nil.
  public static func traceID(_ traceparent: String) -> String? {
    let parts = traceparent.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 4, parts[1].count == 32,
      parts[1].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
    else { return nil }
    return String(parts[1])
  }

  /// At most 128 characters, control characters as '?'.
  public static func printable(_ text: String) -> String {
    String(
      String.UnicodeScalarView(
        text.unicodeScalars.prefix(128).map {
          $0.properties.generalCategory == .control ? "?" : $0
        }))
  }
}

/// Several observers as one.
public struct CallObservers: CallObserver {
  let observers: [any CallObserver]

  public init(_ observers: [any CallObserver]) { self.observers = observers }

  public func callEnded(_ call: EndedCall) {
    for observer in observers { observer.callEnded(call) }
  }
}

/// What a served service tells about its calls: an access log, Prometheus metrics.
public struct Observability: Sendable {
  public var accessLog: Bool
  public var metricsHost: String
  /// Where `GET /metrics` is served (0: any free port); nil for no metrics.
  public var metricsPort: Int?

  public init(accessLog: Bool = false, metricsHost: String = "127.0.0.1", metricsPort: Int? = nil) {
    self.accessLog = accessLog
    self.metricsHost = metricsHost
    self.metricsPort = metricsPort
  }
}
