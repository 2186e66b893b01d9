public import NIOCore

/// What a server handler knows about its call.
public struct ServerContext: Sendable {
  /// The method being called.
  public var method: MethodDescriptor
  /// The request metadata from HEADERS.
  public var requestMetadata: Metadata
  /// When the call's deadline passes, if it has one.
  public var deadline: NIODeadline?
  /// The caller's certificate identity (first URI SAN) when it authenticated with mutual TLS.
  public var peerIdentity: String? {
    get { peer.identity }
    set { peer = Peer(identity: newValue, address: peer.address) }
  }
  /// The caller's address.
  public var remoteAddress: SocketAddress? {
    get { peer.address }
    set { peer = Peer(identity: peer.identity, address: newValue) }
  }
  /// Values interceptors attach for handlers (an authenticated principal, a request id...).
  public var attributes: Attributes = Attributes()
  /// Response metadata: headers sent before the first message, trailers with the status.
  public let response: ResponseMetadata
  /// Who calls: one object per connection, shared by its calls (a context stays small to copy
  /// into each call's handler).
  private var peer: Peer

  /// Time left until the deadline, or nil without one.
  public var remainingTime: TimeAmount? {
    deadline.map { $0 - .now() }
  }

  init(method: MethodDescriptor, requestMetadata: Metadata, deadline: NIODeadline?, peer: Peer) {
    self.method = method
    self.requestMetadata = requestMetadata
    self.deadline = deadline
    self.peer = peer
    self.response = ResponseMetadata()
  }

  /// The caller's identity and address, as the connection knows them.
  final class Peer: Sendable {
    let identity: String?
    let address: SocketAddress?

    init(identity: String?, address: SocketAddress?) {
      self.identity = identity
      self.address = address
    }
  }

  /// Type-keyed storage for values that interceptors pass to handlers.
  public struct Attributes: Sendable {
    private var storage: [ObjectIdentifier: any Sendable] = [:]
    public init() {}

    public subscript<Value: Sendable>(_ type: Value.Type) -> Value? {
      get { storage[ObjectIdentifier(type)] as? Value }
      set { storage[ObjectIdentifier(type)] = newValue }
    }
  }
}
