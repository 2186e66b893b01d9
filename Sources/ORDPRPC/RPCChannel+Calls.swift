public import NIOCore
public import SwiftProtobuf

extension RPCChannel {
  /// A unary call.
  ///
  /// Inlinable, so that a generated client's call is compiled for its message types (the
  /// coding then needs no generic metadata); the call itself runs in `unaryCall`, on bytes.
  @inlinable
  public func unary<Request: Message & Sendable, Response: Message & Sendable>(
    _ method: MethodDescriptor, request: Request, options: CallOptions = .defaults
  ) async throws -> Response {
    let bytes = try serialize(request)
    if interceptors.isEmpty {
      return try decode(try await unaryCall(method, options: options, request: bytes))
    }
    return try await interceptedUnary(method, options: options, request: bytes)
  }

  @usableFromInline
  func interceptedUnary<Response: Message & Sendable>(
    _ method: MethodDescriptor, options: CallOptions, request bytes: [UInt8]
  ) async throws -> Response {
    try await interceptors.run(head: ClientCallHead(method: method, options: options)) {
      head in
      try decode(try await self.unaryCall(head.method, options: head.options, request: bytes))
    }
  }

  /// A server-streaming call: `onResponse` reads the responses; the call ends when it returns.
  public func serverStreaming<
    Request: Message & Sendable, Response: Message & Sendable, Result: Sendable
  >(
    _ method: MethodDescriptor, request: Request, options: CallOptions = .defaults,
    onResponse: (RPCResponseStream<Response>) async throws -> Result
  ) async throws -> Result {
    let bytes = try serialize(request)
    return try await withoutActuallyEscaping(onResponse) { onResponse in
      let box = UncheckedSendable(onResponse)
      return try await interceptors.run(head: ClientCallHead(method: method, options: options)) {
        head in
        try await self.serverStreamingCall(
          head.method, options: head.options, request: bytes
        ) { queue in try await box.value(RPCResponseStream(queue: queue)) }
      }
    }
  }

  /// A client-streaming call: `requests` writes the requests; returns the single response.
  public func clientStreaming<Request: Message & Sendable, Response: Message & Sendable>(
    _ method: MethodDescriptor, options: CallOptions = .defaults,
    requests: @escaping @Sendable (RPCRequestWriter<Request>) async throws -> Void
  ) async throws -> Response {
    try await interceptors.run(head: ClientCallHead(method: method, options: options)) { head in
      try await self.streamingCall(
        head.method, options: head.options,
        requests: { sink in try await requests(RPCRequestWriter(sink: sink)) }
      ) {
        (call: ClientCall) -> Response in
        _ = try await call.ended()
        return try decode(call.singleResponse!)
      }
    }
  }

  /// A bidirectional-streaming call: `requests` writes while `onResponse` reads.
  public func bidirectionalStreaming<
    Request: Message & Sendable, Response: Message & Sendable, Result: Sendable
  >(
    _ method: MethodDescriptor, options: CallOptions = .defaults,
    requests: @escaping @Sendable (RPCRequestWriter<Request>) async throws -> Void,
    onResponse: (RPCResponseStream<Response>) async throws -> Result
  ) async throws -> Result {
    try await withoutActuallyEscaping(onResponse) { onResponse in
      let box = UncheckedSendable(onResponse)
      return try await interceptors.run(head: ClientCallHead(method: method, options: options)) {
        head in
        try await self.streamingCall(
          head.method, options: head.options,
          requests: { sink in try await requests(RPCRequestWriter(sink: sink)) }
        ) {
          (call: ClientCall) -> Result in
          try await box.value(RPCResponseStream(queue: call.responses!))
        }
      }
    }
  }

  // MARK: - Implementation

  /// A unary call on serialized messages (not generic: the message types stay in `unary`).
  @usableFromInline
  func unaryCall(
    _ method: MethodDescriptor, options: CallOptions, request: [UInt8]
  ) async throws -> ByteBuffer {
    let (head, deadline) = try makeHead(method, options)
    var attempt = 0
    var refusedBy: ClientConnection? = nil
    while true {
      let call: ClientCall
      let connection: ClientConnection
      if let ready = pool.pickReady(avoiding: refusedBy) {
        // A connection is ready: start the call without an async step in between.
        connection = ready
        call = Self.startCall(
          .unary, head: head, request: request, deadline: deadline,
          sink: options.responseMetadata, on: connection)
      } else {
        (call, connection) = try await startCall(
          .unary, head: head, request: request, deadline: deadline,
          sink: options.responseMetadata, avoiding: refusedBy)
      }
      do {
        _ = try await withTaskCancellationHandler {
          try await withUnsafeThrowingContinuation { call.wait($0) }
        } onCancel: {
          call.onLoop {
            call.abandon(RPCStatus(code: .cancelled, message: "cancelled by the caller"))
          }
        }
        return call.singleResponse!
      } catch let error as RPCError where error.isRefused && attempt < options.maxTransparentRetries
      {
        attempt += 1
        refusedBy = connection
      }
    }
  }

  func serverStreamingCall<Result>(
    _ method: MethodDescriptor, options: CallOptions, request: [UInt8],
    onResponse: (InboundMessageQueue) async throws -> Result
  ) async throws -> Result {
    let (head, deadline) = try makeHead(method, options)
    var attempt = 0
    var refusedBy: ClientConnection? = nil
    while true {
      let (call, connection) = try await startCall(
        .serverStreaming, head: head, request: request, deadline: deadline,
        sink: options.responseMetadata, avoiding: refusedBy)
      try await withTaskCancellationHandler {
        try await call.firstEventPromise!.futureResult.get()
      } onCancel: {
        call.onLoop {
          call.abandon(RPCStatus(code: .cancelled, message: "cancelled by the caller"))
        }
      }
      if let failure = call.failure, failure.isRefused, attempt < options.maxTransparentRetries {
        attempt += 1
        refusedBy = connection
        continue
      }
      do {
        let result = try await withTaskCancellationHandler {
          try await onResponse(call.responses!)
        } onCancel: {
          call.onLoop {
            call.abandon(RPCStatus(code: .cancelled, message: "cancelled by the caller"))
          }
        }
        call.onLoop {
          call.abandon(RPCStatus(code: .cancelled, message: "the caller stopped reading"))
        }
        return result
      } catch {
        call.onLoop {
          call.abandon(RPCStatus(code: .cancelled, message: "the caller failed: \(error)"))
        }
        throw error
      }
    }
  }

  func streamingCall<Result>(
    _ method: MethodDescriptor, options: CallOptions,
    requests: @escaping @Sendable (any MessageSink) async throws -> Void,
    body: (ClientCall) async throws -> Result
  ) async throws -> Result {
    let (head, deadline) = try makeHead(method, options)
    let kind = method.kind
    let (call, _) = try await startCall(
      kind, head: head, request: nil, deadline: deadline, sink: options.responseMetadata)
    let writer: any MessageSink = call
    return try await withTaskCancellationHandler {
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          do {
            try await requests(writer)
            call.halfClose()
          } catch {
            call.onLoop {
              call.abandon(
                RPCStatus(code: .cancelled, message: "the request writer failed: \(error)"))
            }
            throw error
          }
        }
        let result: Result
        do {
          result = try await body(call)
        } catch {
          call.onLoop {
            call.abandon(RPCStatus(code: .cancelled, message: "the caller failed: \(error)"))
          }
          group.cancelAll()
          var writerError: (any Error)? = nil
          while true {
            do { guard try await group.next() != nil else { break } } catch {
              writerError = writerError ?? error
            }
          }
          // The writer's own failure explains the call's end; a cancellation (the call had
          // ended, or the writer was cancelled just above) or a status does not.
          if let writerError, !(writerError is RPCError), !(writerError is CancellationError) {
            throw writerError
          }
          throw error
        }
        if kind == .bidirectionalStreaming {
          call.onLoop {
            call.abandon(RPCStatus(code: .cancelled, message: "the caller stopped reading"))
          }
        }
        group.cancelAll()
        while true {
          do { guard try await group.next() != nil else { break } } catch {}
        }
        return result
      }
    } onCancel: {
      call.onLoop { call.abandon(RPCStatus(code: .cancelled, message: "cancelled by the caller")) }
    }
  }

  /// The serialized `RequestHeaders` of a call, and its deadline.
  private func makeHead(
    _ method: MethodDescriptor, _ options: CallOptions
  ) throws -> ([UInt8], NIODeadline?) {
    var deadline = options.timeout.map { NIODeadline.now() + TimeAmount($0) }
    if let inherited = RPCDeadline.current { deadline = min(deadline ?? inherited, inherited) }
    if deadline == nil, options.metadata.isEmpty { return (method.pathHeaders, nil) }
    var rest = Ordp_Rpc_V1_RequestHeaders()
    if !options.metadata.isEmpty { rest.metadata = options.metadata.wireEntries }
    if let deadline {
      let remaining = deadline - .now()
      guard remaining > .zero else {
        throw RPCError(.deadlineExceeded, "deadline exceeded before the call started")
      }
      rest.timeoutMicros = UInt64(max(1, remaining.nanoseconds / 1000))
    }
    return (method.pathHeaders + (try serialize(rest)), deadline)
  }

  /// Starts a call on a connection the pool picks (not `avoiding` when it has another).
  private func startCall(
    _ kind: RPCKind, head: [UInt8], request: [UInt8]?, deadline: NIODeadline?,
    sink: ResponseMetadata?, avoiding: ClientConnection? = nil
  ) async throws -> (ClientCall, ClientConnection) {
    let connection = try await pool.pick(deadline: deadline, avoiding: avoiding)
    return (
      Self.startCall(
        kind, head: head, request: request, deadline: deadline, sink: sink, on: connection),
      connection
    )
  }

  private static func startCall(
    _ kind: RPCKind, head: [UInt8], request: [UInt8]?, deadline: NIODeadline?,
    sink: ResponseMetadata?, on connection: ClientConnection
  ) -> ClientCall {
    let call = ClientCall(
      kind: kind, head: head, singleRequest: request, loop: connection.eventLoop)
    call.responseMetadata = sink
    // A caller on the connection's loop starts the call right here (no closure, no hop).
    if connection.eventLoop.inEventLoop {
      Self.begin(call, on: connection, deadline: deadline)
    } else {
      connection.eventLoop.execute { Self.begin(call, on: connection, deadline: deadline) }
    }
    return call
  }

  private static func begin(
    _ call: ClientCall, on connection: ClientConnection, deadline: NIODeadline?
  ) {
    if let deadline {
      call.deadlineTimer = connection.eventLoop.scheduleTask(deadline: deadline) {
        call.abandon(RPCStatus(code: .deadlineExceeded, message: "deadline exceeded"))
      }
    }
    connection.handler.value.start(call)
  }
}

/// A message's bytes (requests on the client, responses on the server).
@inlinable
func serialize(_ message: some Message) throws -> [UInt8] {
  do {
    return try message.serializedBytes()
  } catch {
    throw RPCError(.internal, "cannot serialize \(type(of: message).protoMessageName): \(error)")
  }
}

@inlinable
func decode<M: Message>(_ buffer: ByteBuffer) throws -> M {
  do {
    return try M(buffer: buffer)
  } catch {
    throw RPCError(.internal, "response does not decode as \(M.protoMessageName): \(error)")
  }
}

/// Carries a non-Sendable closure into interceptor closures that run it before returning.
struct UncheckedSendable<Value>: @unchecked Sendable {
  let value: Value
  init(_ value: Value) { self.value = value }
}

extension TimeAmount {
  init(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
  }
}
