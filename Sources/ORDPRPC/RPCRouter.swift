public import NIOCore
public import SwiftProtobuf

/// A service the server can host: generated service protocols refine it.
public protocol RPCService: Sendable {
  /// Registers the service's methods with the router.
  func registerMethods(with router: inout RPCRouter)
  /// The largest request message each method takes, by method path; a larger one ends its
  /// call with RESOURCE_EXHAUSTED before it is decoded (as Envoy limits request bytes per
  /// route). Methods not named take anything up to the frame limit.
  var maximumRequestBytes: [String: Int] { get }
}

extension RPCService {
  public var maximumRequestBytes: [String: Int] { [:] }
}

/// Maps method paths to type-erased handlers.
public struct RPCRouter: Sendable {
  /// A handler with its messages decoded and encoded.
  @usableFromInline
  enum Handler: Sendable {
    case unary(@Sendable (ByteBuffer, ServerContext) async throws -> [UInt8])
    case serverStreaming(
      @Sendable (ByteBuffer, any MessageSink, ServerContext) async throws -> Void)
    case clientStreaming(@Sendable (InboundMessageQueue, ServerContext) async throws -> [UInt8])
    case bidirectional(
      @Sendable (InboundMessageQueue, any MessageSink, ServerContext) async throws -> Void)
  }

  @usableFromInline
  struct Route: Sendable {
    var descriptor: MethodDescriptor
    var handler: Handler
    /// The largest request message the method takes (nil: up to the frame limit).
    var maximumRequestBytes: Int?
    /// Where the request type has repeated scalar fields (checked before decoding).
    var packedFields: PackedFieldShape?

    @usableFromInline
    init(descriptor: MethodDescriptor, handler: Handler) {
      self.descriptor = descriptor
      self.handler = handler
    }
  }

  @usableFromInline
  var routes: [String: Route] = [:]

  public init() {}

  /// All registered methods.
  public var methods: [MethodDescriptor] { routes.values.map(\.descriptor) }

  func route(for path: String) -> Route? { routes[path] }

  /// Sets where the request types of the methods named have repeated scalar fields: their
  /// requests are refused when those come in many packed chunks (`PackedFieldShape`).
  /// Generated services call it from `registerMethods`.
  public mutating func guardPackedFields(_ shapes: [String: PackedFieldShape]) {
    for (path, shape) in shapes { routes[path]?.packedFields = shape }
  }

  /// Sets the largest request message of the methods named (paths of registered methods).
  mutating func limitRequests(_ limits: [String: Int]) {
    for (path, bytes) in limits { routes[path]?.maximumRequestBytes = bytes }
  }

  /// Inlinable: a generated service registers its methods with its own message types, so a
  /// unary call's decoding, handler call and encoding are compiled for those types rather
  /// than run through generic metadata on every call.
  @inlinable
  public mutating func registerUnary<Request: Message & Sendable, Response: Message & Sendable>(
    _ method: MethodDescriptor,
    handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
  ) {
    routes[method.path] = Route(
      descriptor: method,
      handler: .unary { buffer, context in
        let request = try decode(Request.self, buffer)
        return try serialize(try await handler(request, context))
      })
  }

  public mutating func registerServerStreaming<
    Request: Message & Sendable, Response: Message & Sendable
  >(
    _ method: MethodDescriptor,
    handler:
      @escaping @Sendable (Request, RPCResponseWriter<Response>, ServerContext) async throws -> Void
  ) {
    routes[method.path] = Route(
      descriptor: method,
      handler: .serverStreaming { buffer, sink, context in
        let request = try decode(Request.self, buffer)
        try await handler(request, RPCResponseWriter(sink: sink), context)
      })
  }

  public mutating func registerClientStreaming<
    Request: Message & Sendable, Response: Message & Sendable
  >(
    _ method: MethodDescriptor,
    handler: @escaping @Sendable (RPCRequestStream<Request>, ServerContext) async throws -> Response
  ) {
    routes[method.path] = Route(
      descriptor: method,
      handler: .clientStreaming { queue, context in
        try serialize(try await handler(RPCRequestStream(queue: queue), context))
      })
  }

  public mutating func registerBidirectionalStreaming<
    Request: Message & Sendable, Response: Message & Sendable
  >(
    _ method: MethodDescriptor,
    handler:
      @escaping @Sendable (RPCRequestStream<Request>, RPCResponseWriter<Response>, ServerContext)
      async throws -> Void
  ) {
    routes[method.path] = Route(
      descriptor: method,
      handler: .bidirectional { queue, sink, context in
        try await handler(RPCRequestStream(queue: queue), RPCResponseWriter(sink: sink), context)
      })
  }
}

@inlinable
func decode<M: Message>(_ type: M.Type, _ buffer: ByteBuffer) throws -> M {
  do {
    return try M(buffer: buffer)
  } catch {
    throw RPCError(.invalidArgument, "request does not decode as \(M.protoMessageName): \(error)")
  }
}
