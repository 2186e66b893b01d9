import Foundation
public import ORDPRPC

/// Authenticates calls by their `authorization: Bearer <access token>` metadata.
///
/// A valid token puts its `Principal` into the context's attributes; an invalid one ends the
/// call with UNAUTHENTICATED (or UNAVAILABLE when the verifier cannot check it). Calls without
/// a token pass through unauthenticated only for the methods in `anonymousMethods`; the
/// handler decides what an anonymous caller may see.
public struct BearerTokenInterceptor: ServerInterceptor {
  private let verifier: AccessTokenVerifier
  private let anonymousMethods: Set<String>
  private let anonymousServices: Set<String>

  /// - Parameters:
  ///   - anonymousMethods: method paths ("/pkg.Service/Method") callable without a token.
  ///   - anonymousServices: services all of whose methods are callable without a token
  ///     (e.g. health).
  public init(
    verifier: AccessTokenVerifier, anonymousMethods: Set<String> = [],
    anonymousServices: Set<String> = ["grpc.health.v1.Health"]
  ) {
    self.verifier = verifier
    self.anonymousMethods = anonymousMethods
    self.anonymousServices = anonymousServices
  }

  /// At the HEADERS: a call without a token for a method that needs one, a malformed
  /// authorization, or a token known to be expired or revoked is refused before its request
  /// is received; a token verified before is taken as it is (`intercept` then has its
  /// principal). Tokens not seen yet are verified in `intercept` (which may have to fetch keys).
  public func admit(_ context: inout ServerContext) throws(RPCError) {
    guard let header = context.requestMetadata["authorization"] else {
      if !anonymousMethods.contains(context.method.path),
        !anonymousServices.contains(context.method.service)
      {
        throw RPCError(
          .unauthenticated,
          "\(context.method.path) needs an access token (authorization: Bearer …)")
      }
      return
    }
    let token = try Self.bearerToken(header)
    if let principal = try verifier.verifyCached(token) {
      context.attributes[Principal.self] = principal
      context.attributes[PresentedToken.self] = PresentedToken(token: token, verifier: verifier)
      context.response.caller = principal.subject
    }
  }

  public func intercept(
    context: ServerContext, next: @Sendable (ServerContext) async throws -> Void
  ) async throws {
    // Admitted at the HEADERS with a token verified before: nothing left to check.
    if context.attributes[PresentedToken.self] != nil { return try await next(context) }
    var context = context
    if let header = context.requestMetadata["authorization"] {
      let token = try Self.bearerToken(header)
      let principal: Principal
      if let cached = try verifier.verifyCached(token) {
        principal = cached
      } else {
        principal = try await verifier.verify(token)
      }
      context.attributes[Principal.self] = principal
      context.attributes[PresentedToken.self] = PresentedToken(token: token, verifier: verifier)
      context.response.caller = principal.subject
    } else if !anonymousMethods.contains(context.method.path),
      !anonymousServices.contains(context.method.service)
    {
      throw RPCError(
        .unauthenticated, "\(context.method.path) needs an access token (authorization: Bearer …)")
    }
    try await next(context)
  }

  static func bearerToken(_ header: String) throws(RPCError) -> String {
    let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
      throw RPCError(.unauthenticated, "authorization metadata must be \"Bearer <access token>\"")
    }
    return parts[1].trimmingCharacters(in: .whitespaces)
  }
}

/// The token a call was authenticated with and who checked it: long-lived calls check it again.
struct PresentedToken: Sendable {
  let token: String
  let verifier: AccessTokenVerifier
}

extension ServerContext {
  /// The caller as its access token says, if it sent one.
  public var principal: Principal? { attributes[Principal.self] }

  /// Checks the caller's token again — expiry and revocation (logout, a revoked key, a
  /// lowered role, a removed membership, a deactivated town) — and returns the principal:
  /// long-lived calls (ingest streams, followed change feeds, exports) call it per batch or
  /// page, so a right that is gone ends the call with UNAUTHENTICATED. Anonymous calls have
  /// nothing to check (nil).
  public func recheckPrincipal() async throws(RPCError) -> Principal? {
    guard let presented = attributes[PresentedToken.self] else { return nil }
    if let principal = try presented.verifier.verifyCached(presented.token) { return principal }
    return try await presented.verifier.verify(presented.token)
  }

  /// The caller, or UNAUTHENTICATED when the call carries no token.
  public func requirePrincipal() throws(RPCError) -> Principal {
    guard let principal else {
      throw RPCError(.unauthenticated, "\(method.path) needs an access token")
    }
    return principal
  }
}
