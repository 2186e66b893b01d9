import NIOCore
import Synchronization

/// `grpc.health.v1.Health`, built into every server. The empty service name is the server as
/// a whole (SERVING from the start); services set their own statuses.
public final class HealthService: Grpc_Health_V1_Health_ServiceProtocol {
  public typealias Status = Grpc_Health_V1_HealthCheckResponse.ServingStatus

  private struct State {
    var statuses: [String: Status] = ["": .serving]
    var watchers: [Int: (service: String, queue: InboundMessageQueue)] = [:]
    var nextWatcher = 0
    var terminal = false
  }

  private let state = Mutex(State())

  public init() {}

  /// A health request names a service: a kilobyte is plenty.
  public var maximumRequestBytes: [String: Int] {
    Dictionary(uniqueKeysWithValues: Grpc_Health_V1_Health.Method.all.map { ($0.path, 1024) })
  }

  /// Sets the status of `service` and tells its watchers (not once the server shuts down).
  public func setStatus(_ status: Status, forService service: String = "") {
    let watchers = state.withLock { s -> [InboundMessageQueue] in
      guard !s.terminal else { return [] }
      s.statuses[service] = status
      return s.watchers.values.filter { $0.service == service }.map(\.queue)
    }
    for q in watchers { q.push(Self.encode(status)) }
  }

  /// The server shuts down: every service is NOT_SERVING from now on (later `setStatus` calls
  /// are ignored), every watcher is told so and its stream ends — a balancer watching stops
  /// sending calls at once, and the open watch does not hold the draining connection.
  public func enterTerminalState() {
    let watchers = state.withLock { s -> [InboundMessageQueue] in
      s.terminal = true
      for name in s.statuses.keys { s.statuses[name] = .notServing }
      defer { s.watchers.removeAll() }
      return s.watchers.values.map(\.queue)
    }
    for q in watchers {
      q.push(Self.encode(.notServing))
      q.finish()
    }
  }

  /// The status of `service`, nil if unknown.
  public func status(forService service: String) -> Status? {
    state.withLock { $0.statuses[service] }
  }

  public func check(
    request: Grpc_Health_V1_HealthCheckRequest, context: ServerContext
  ) async throws -> Grpc_Health_V1_HealthCheckResponse {
    guard let status = status(forService: request.service) else {
      throw RPCError(.notFound, "unknown service '\(request.service)'")
    }
    var r = Grpc_Health_V1_HealthCheckResponse()
    r.status = status
    return r
  }

  public func list(
    request: Grpc_Health_V1_HealthListRequest, context: ServerContext
  ) async throws -> Grpc_Health_V1_HealthListResponse {
    var r = Grpc_Health_V1_HealthListResponse()
    for (name, status) in state.withLock({ $0.statuses }) {
      var s = Grpc_Health_V1_HealthCheckResponse()
      s.status = status
      r.statuses[name] = s
    }
    return r
  }

  public func watch(
    request: Grpc_Health_V1_HealthCheckRequest,
    responses: RPCResponseWriter<Grpc_Health_V1_HealthCheckResponse>, context: ServerContext
  ) async throws {
    let queue = InboundMessageQueue { _ in }
    let (id, current, terminal) = state.withLock { s in
      let id = s.nextWatcher
      s.nextWatcher += 1
      if !s.terminal { s.watchers[id] = (request.service, queue) }
      return (id, s.statuses[request.service] ?? .serviceUnknown, s.terminal)
    }
    defer { _ = state.withLock { $0.watchers.removeValue(forKey: id) } }
    var first = Grpc_Health_V1_HealthCheckResponse()
    first.status = current
    try await responses.write(first)
    if terminal { return }
    for try await update in RPCMessageStream<Grpc_Health_V1_HealthCheckResponse>(queue: queue) {
      try await responses.write(update)
    }
  }

  private static func encode(_ status: Status) -> ByteBuffer {
    var r = Grpc_Health_V1_HealthCheckResponse()
    r.status = status
    return ByteBuffer(bytes: (try? r.serializedBytes() as [UInt8]) ?? [])
  }
}
