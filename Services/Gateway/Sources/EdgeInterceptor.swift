import ORDPAuth
public import ORDPRPC

/// The gateway's checks at the edge, around the bearer-token check.
///
/// `EdgeMetadata` (first) removes what a client must not say — every `ordp-*` key: routing,
/// identity and refusal metadata are the gateway's and the services' — and gives the call a
/// request id (the client's, when it is a sane one), echoed in the trailers.
/// `EdgeScopes` (after `BearerTokenInterceptor`) refuses, with PERMISSION_DENIED before any
/// backend is called, a method outside the token's scopes (`GatewayMethods`): a write or an
/// admin call needs its scope; a service account's token presented for a public read needs
/// the read scope (an ingest-only key reads nothing through the gateway). Users' reads are
/// governed by their memberships in the services.
public struct EdgeMetadata: ServerInterceptor {
  public init() {}

  public func admit(_ context: inout ServerContext) throws(RPCError) {
    let id = RequestID.sanitized(context.requestMetadata["ordp-request-id"])
    var metadata = Metadata()
    for entry in context.requestMetadata where !entry.key.hasPrefix("ordp-") {
      switch entry.value {
      case .text(let text): metadata.add(entry.key, text)
      case .binary(let bytes): metadata.add(entry.key, binary: bytes)
      }
    }
    metadata.add("ordp-request-id", id)
    context.requestMetadata = metadata
    context.response.addTrailer("ordp-request-id", id)
  }

  public func intercept(
    context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
  ) async throws {
    try await next(context)
  }
}

public struct EdgeScopes: ServerInterceptor {
  let methods: [String: ProxiedMethod]

  public init(methods: [ProxiedMethod]) {
    self.methods = Dictionary(
      methods.map { ($0.descriptor.path, $0) }, uniquingKeysWith: { a, _ in a })
  }

  public func admit(_ context: inout ServerContext) throws(RPCError) {
    // Tokens verified before are known here already; others are checked in `intercept`.
    if let principal = context.attributes[Principal.self] { try check(principal, context) }
  }

  public func intercept(
    context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
  ) async throws {
    if let principal = context.attributes[Principal.self] { try check(principal, context) }
    try await next(context)
  }

  func check(_ principal: Principal, _ context: ServerContext) throws(RPCError) {
    guard let method = methods[context.method.path], !principal.isPlatformAdmin else { return }
    let needed: [Scope]
    switch method.access {
    case .scope(let scope): needed = [scope]
    case .token: needed = []
    case .anonymous:
      needed = principal.kind == .service ? GatewayMethods.readScopes(method) : []
    }
    for scope in needed where !principal.scopes.contains(scope) {
      throw RPCError(
        .permissionDenied, "\(context.method.path) needs scope \(scope.rawValue) in the token")
    }
  }
}
