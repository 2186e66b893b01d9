import NIOCore

/// One call on the client, on its connection's event loop: writes the request frames,
/// collects the response, carries the outcome to the awaiting caller.
/// Hot state is `@exclusivity(unchecked)` for the reason given at `ServerConnectionHandler`.
final class ClientCall: @unchecked Sendable, FlowControlledSender {
  let loop: any EventLoop
  let kind: RPCKind
  /// The serialized `RequestHeaders`.
  let head: [UInt8]
  /// The request of unary and server-streaming calls.
  let singleRequest: [UInt8]?
  /// Server streaming only: completed at the first sign of life (headers, message or end), so
  /// that a refused call can be retried before its responses are handed out.
  let firstEventPromise: EventLoopPromise<Void>?
  /// Responses of streaming-response calls.
  let responses: InboundMessageQueue?

  @exclusivity(unchecked) private(set) var streamID: UInt32 = 0
  @exclusivity(unchecked) private var connection: ClientConnectionHandler?
  @exclusivity(unchecked) private(set) var singleResponse: ByteBuffer?
  private(set) var responseHeaders = Metadata()
  /// Where the response headers and an OK end's trailers go too (`CallOptions.responseMetadata`).
  @exclusivity(unchecked) var responseMetadata: ResponseMetadata?
  @exclusivity(unchecked) private var responseCount = 0
  @exclusivity(unchecked) private var done = false
  /// Why the call failed, once it did (read after `firstEventPromise` or `ended()`).
  private(set) var failure: RPCError?
  /// How the call ended (OK status or the error), once it has.
  @exclusivity(unchecked) private var outcome: Result<RPCStatus, RPCError>?
  /// The caller waiting in `ended()`; resumed directly, without a future's callback list.
  @exclusivity(unchecked) private var endWaiter: UnsafeContinuation<RPCStatus, any Error>?
  private var halfClosePending = false
  @exclusivity(unchecked) var pendingSends: [PendingSend] = []
  var hasEnded: Bool { done }
  @exclusivity(unchecked) var deadlineTimer: Scheduled<Void>?

  init(
    kind: RPCKind, head: [UInt8], singleRequest: [UInt8]?, loop: any EventLoop
  ) {
    self.loop = loop
    self.kind = kind
    self.head = head
    self.singleRequest = singleRequest
    self.firstEventPromise = kind == .serverStreaming ? loop.makePromise() : nil
    if kind == .serverStreaming || kind == .bidirectionalStreaming {
      let ref = WeakCallReference()
      self.responses = InboundMessageQueue { bytes in ref.call?.consumed(bytes) }
      ref.call = self
    } else {
      self.responses = nil
    }
  }

  // MARK: - Connection events (event loop)

  /// Whether the call has ended (the caller may give up while it waits for a stream).
  var isDone: Bool { done }

  func opened(streamID: UInt32, connection: ClientConnectionHandler) {
    self.streamID = streamID
    self.connection = connection
    if let request = singleRequest {
      guard request.count <= connection.maxOutboundFrameSize else {
        connection.cancel(self, status: RPCStatus(code: .cancelled))
        return fail(
          RPCError(
            .resourceExhausted,
            "request message of \(request.count) bytes exceeds the server's max_frame_size \(connection.maxOutboundFrameSize)"
          ))
      }
      connection.writeTogether {
        connection.writeFrame(.headers, streamID: streamID, bytes: head)
        _ = connection.machine.sendLastMessage(streamID: streamID, bytes: request.count)
        connection.writeFrame(.message, flags: .endStream, streamID: streamID, bytes: request)
      }
      connection.flushIfAlone()
    } else {
      connection.writeFrame(.headers, streamID: streamID, bytes: head)
      windowOpened()
    }
  }

  func receiveHeaders(_ metadata: Metadata) {
    responseHeaders = metadata
    responseMetadata?.add(headers: metadata)
    firstEventPromise?.succeed()
  }

  func receiveMessage(_ payload: ByteBuffer) {
    firstEventPromise?.succeed()
    if let responses {
      responses.push(payload)
      return
    }
    responseCount += 1
    if responseCount > 1 {
      let status = RPCStatus(code: .internal, message: "server sent more than one response message")
      connection?.cancel(self, status: status)
      fail(RPCError(status: status))
      return
    }
    singleResponse = payload
  }

  func receiveStatus(_ status: RPCStatus) {
    guard !done else { return }
    if status.code != .ok {
      // Responses that arrived before the error are still delivered, then the error.
      responses?.finish(throwing: RPCError(status: status))
      return fail(RPCError(status: status))
    }
    if responses == nil, singleResponse == nil {
      return fail(RPCError(.internal, "server ended the call with OK but sent no response message"))
    }
    done = true
    connection = nil
    deadlineTimer?.cancel()
    responseMetadata?.add(trailers: status.metadata)
    responses?.finish()
    failPendingSends(RPCError(.cancelled, "call already ended"))
    firstEventPromise?.succeed()
    complete(.success(status))
  }

  /// Ends the call with `error` without writing anything.
  func fail(_ error: RPCError) {
    guard !done else { return }
    done = true
    failure = error
    connection = nil
    deadlineTimer?.cancel()
    responses?.fail(error)
    failPendingSends(error)
    firstEventPromise?.succeed()
    complete(.failure(error))
  }

  private func complete(_ result: Result<RPCStatus, RPCError>) {
    outcome = result
    if let waiter = endWaiter {
      endWaiter = nil
      waiter.resume(with: result.mapError { $0 })
    }
  }

  /// Waits until the call ends: its OK status, or throws its `RPCError`. One waiter at a time.
  func ended() async throws -> RPCStatus {
    try await withUnsafeThrowingContinuation { wait($0) }
  }

  /// Resumes `waiter` when the call ends (at once if it has); callable from any thread.
  func wait(_ waiter: UnsafeContinuation<RPCStatus, any Error>) {
    // Checked here rather than through `onLoop`, which would allocate a closure per call.
    if loop.inEventLoop {
      waitOnLoop(waiter)
    } else {
      loop.execute { self.waitOnLoop(waiter) }
    }
  }

  private func waitOnLoop(_ waiter: UnsafeContinuation<RPCStatus, any Error>) {
    if let outcome {
      waiter.resume(with: outcome.mapError { $0 })
    } else {
      endWaiter = waiter
    }
  }

  /// The caller gave up (task cancelled, deadline passed, stopped reading): CANCEL and fail.
  func abandon(_ status: RPCStatus) {
    guard !done else { return }
    if let connection { connection.cancel(self, status: status) }
    fail(RPCError(status: status))
  }

  /// Response flow control: the caller consumed `bytes`.
  func consumed(_ bytes: Int) {
    onLoop {
      guard let connection = self.connection,
        let increment = connection.machine.consumed(streamID: self.streamID, bytes: bytes)
      else { return }
      connection.writeWindowUpdate(streamID: self.streamID, increment: increment)
    }
  }

  // MARK: - Request messages of streaming calls

  func windowOpened() {
    sendPending()
    if halfClosePending { halfCloseNow() }
  }

  func trySend(_ bytes: [UInt8]) -> Result<Void, any Error>? {
    if done { return .failure(RPCError(.cancelled, "call already ended")) }
    guard let connection else { return nil }  // still waiting for a stream
    guard bytes.count <= connection.maxOutboundFrameSize else {
      return .failure(
        RPCError(
          .resourceExhausted,
          "request message of \(bytes.count) bytes exceeds the server's max_frame_size \(connection.maxOutboundFrameSize)"
        ))
    }
    switch connection.machine.sendMessage(streamID: streamID, bytes: bytes.count) {
    case .send:
      connection.writeFrame(.message, streamID: streamID, bytes: bytes)
      return .success(())
    case .wait:
      return nil
    case .streamClosed:
      return .failure(RPCError(.cancelled, "call already ended"))
    }
  }

  /// The caller sent its last request: END_STREAM (after any messages still waiting).
  func halfClose() {
    onLoop {
      guard !self.done else { return }
      if self.pendingSends.isEmpty, self.connection != nil {
        self.halfCloseNow()
      } else {
        self.halfClosePending = true
      }
    }
  }

  private func halfCloseNow() {
    guard let connection, !done else { return }
    halfClosePending = false
    connection.machine.halfClose(streamID: streamID)
    connection.writeFrame(.headers, flags: .endStream, streamID: streamID, bytes: [])
  }

}

/// Lets a response queue report consumption to its call without keeping it alive.
private final class WeakCallReference: @unchecked Sendable {
  weak var call: ClientCall?
}
