import Synchronization

/// Response headers and trailers that handlers and interceptors add to; thread-safe.
public final class ResponseMetadata: Sendable {
  private let state = Mutex((headers: Metadata(), trailers: Metadata(), caller: String?.none))
  /// Set once anything was added: most calls add nothing, and reading then takes no lock.
  private let touched = Atomic<Bool>(false)

  public init() {}

  /// Adds a response header (sent before the first response message).
  public func addHeader(_ key: String, _ value: String) {
    state.withLock { $0.headers.add(key, value) }
    touched.store(true, ordering: .releasing)
  }

  /// Adds a trailer (sent with the status).
  public func addTrailer(_ key: String, _ value: String) {
    state.withLock { $0.trailers.add(key, value) }
    touched.store(true, ordering: .releasing)
  }

  /// Adds another call's response headers (binary values included).
  func add(headers: Metadata) {
    guard !headers.entries.isEmpty else { return }
    state.withLock { $0.headers.add(contentsOf: headers) }
    touched.store(true, ordering: .releasing)
  }

  /// Adds another call's trailers.
  func add(trailers: Metadata) {
    guard !trailers.entries.isEmpty else { return }
    state.withLock { $0.trailers.add(contentsOf: trailers) }
    touched.store(true, ordering: .releasing)
  }

  /// The headers added so far.
  public var headers: Metadata {
    guard touched.load(ordering: .acquiring) else { return Metadata() }
    return state.withLock { $0.headers }
  }

  /// Who calls, as the token check found it (for access logs; `EndedCall.caller`).
  public var caller: String? {
    get {
      guard touched.load(ordering: .acquiring) else { return nil }
      return state.withLock { $0.caller }
    }
    set {
      state.withLock { $0.caller = newValue }
      touched.store(true, ordering: .releasing)
    }
  }

  /// The trailers added so far.
  public var trailers: Metadata {
    guard touched.load(ordering: .acquiring) else { return Metadata() }
    return state.withLock { $0.trailers }
  }
}
