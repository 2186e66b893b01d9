public import SwiftProtobuf

/// A stream of messages of one type: the requests of a client- or bidirectional-streaming call
/// on the server, the responses of a server- or bidirectional-streaming call on the client.
/// Iterate it once; it ends when the peer ends its side, and throws when the call fails.
public struct RPCMessageStream<Element: Message & Sendable>: AsyncSequence, Sendable {
  let queue: InboundMessageQueue

  init(queue: InboundMessageQueue) { self.queue = queue }

  public struct AsyncIterator: AsyncIteratorProtocol {
    let queue: InboundMessageQueue

    public mutating func next() async throws -> Element? {
      guard let buffer = try await queue.next() else { return nil }
      do {
        return try Element(buffer: buffer)
      } catch {
        throw RPCError(
          .invalidArgument, "message does not decode as \(Element.protoMessageName): \(error)")
      }
    }
  }

  public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(queue: queue) }
}

/// The request messages of a call, as a server handler sees them.
public typealias RPCRequestStream<Element: Message & Sendable> = RPCMessageStream<Element>
/// The response messages of a call, as a client sees them.
public typealias RPCResponseStream<Element: Message & Sendable> = RPCMessageStream<Element>

/// Where serialized messages go: one direction of one call. Waits for flow-control credit.
@usableFromInline
protocol MessageSink: Sendable {
  func send(_ bytes: [UInt8]) async throws
}

/// Writes messages of one type into a call: the responses of a streaming server handler, or
/// the requests of a client- or bidirectional-streaming call. `write` returns once the message
/// is handed to the connection, waiting while the peer's flow-control window is exhausted.
public struct RPCMessageWriter<Element: Message & Sendable>: Sendable {
  let sink: any MessageSink

  init(sink: any MessageSink) { self.sink = sink }

  /// Sends one message; throws when the call has ended (cancelled, deadline, connection lost).
  public func write(_ message: Element) async throws {
    let bytes: [UInt8]
    do {
      bytes = try message.serializedBytes()
    } catch {
      throw RPCError(.internal, "cannot serialize \(Element.protoMessageName): \(error)")
    }
    try await sink.send(bytes)
  }

  /// Sends each message in order.
  public func write(contentsOf messages: some Sequence<Element>) async throws {
    for m in messages { try await write(m) }
  }
}

/// The response writer a server-streaming or bidirectional handler gets.
public typealias RPCResponseWriter<Element: Message & Sendable> = RPCMessageWriter<Element>
/// The request writer a client-streaming or bidirectional caller gets.
public typealias RPCRequestWriter<Element: Message & Sendable> = RPCMessageWriter<Element>
