public import NIOCore
import Synchronization

/// Messages of a call as the bytes that travelled, undecoded: the requests of a streaming
/// call on the server, or the responses on the client. For relays (the gateway) that pass
/// messages on without reading them. Iterate it once; it ends when the peer ends its side and
/// throws when the call fails.
public struct RPCRawMessages: AsyncSequence, Sendable {
  let queue: InboundMessageQueue

  init(queue: InboundMessageQueue) { self.queue = queue }

  public struct AsyncIterator: AsyncIteratorProtocol {
    let queue: InboundMessageQueue

    public mutating func next() async throws -> ByteBuffer? { try await queue.next() }
  }

  public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: queue) }
}

/// Writes messages as bytes into a call (already serialized, never checked): the responses
/// of a relaying server handler, or the requests of a relaying client. Waits for flow-control
/// credit like `RPCMessageWriter`.
public struct RPCRawWriter: Sendable {
  let sink: any MessageSink

  init(sink: any MessageSink) { self.sink = sink }

  /// Sends one message; throws when the call has ended.
  public func write(_ message: ByteBuffer) async throws {
    try await sink.send(Array(message.readableBytesView))
  }
}

extension RPCRouter {
  /// Registers a handler that gets and gives messages as bytes (a relay: the gateway), for a
  /// method of any kind. `handler` gets the requests (one for unary and server-streaming
  /// methods) and a writer for the responses; for unary and client-streaming methods it must
  /// write exactly one.
  public mutating func registerRaw(
    _ method: MethodDescriptor,
    handler: @escaping @Sendable (RPCRawMessages, RPCRawWriter, ServerContext) async throws -> Void
  ) {
    let route: Handler
    switch method.kind {
    case .unary:
      route = .unary { buffer, context in
        let single = SingleResponse()
        try await handler(.single(buffer), RPCRawWriter(sink: single), context)
        return try single.response(for: method)
      }
    case .serverStreaming:
      route = .serverStreaming { buffer, sink, context in
        try await handler(.single(buffer), RPCRawWriter(sink: sink), context)
      }
    case .clientStreaming:
      route = .clientStreaming { queue, context in
        let single = SingleResponse()
        try await handler(RPCRawMessages(queue: queue), RPCRawWriter(sink: single), context)
        return try single.response(for: method)
      }
    case .bidirectionalStreaming:
      route = .bidirectional { queue, sink, context in
        try await handler(RPCRawMessages(queue: queue), RPCRawWriter(sink: sink), context)
      }
    }
    routes[method.path] = Route(descriptor: method, handler: route)
  }
}

extension RPCRawMessages {
  /// The one request of a unary or server-streaming call.
  static func single(_ buffer: ByteBuffer) -> RPCRawMessages {
    let queue = InboundMessageQueue(onConsumed: { _ in })
    queue.push(buffer)
    queue.finish()
    return RPCRawMessages(queue: queue)
  }
}

/// Collects the one response of a unary or client-streaming relay.
private final class SingleResponse: MessageSink {
  private let state = Mutex<[UInt8]?>(nil)

  func send(_ bytes: [UInt8]) async throws {
    let first = state.withLock { response in
      defer { response = response ?? bytes }
      return response == nil
    }
    guard first else {
      throw RPCError(.internal, "a relay wrote more than one response to a single-response call")
    }
  }

  func response(for method: MethodDescriptor) throws -> [UInt8] {
    guard let bytes = state.withLock({ $0 }) else {
      throw RPCError(.internal, "a relay of \(method.path) ended without a response")
    }
    return bytes
  }
}
