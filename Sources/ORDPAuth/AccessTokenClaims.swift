public import JWTKit

/// The claims of an ORDP access token (a JWT signed with EdDSA).
public struct AccessTokenClaims: JWTPayload, Equatable {
  public struct Membership: Codable, Sendable, Equatable {
    public var id: String
    public var role: MemberRole
    public init(id: String, role: MemberRole) {
      self.id = id
      self.role = role
    }
  }

  public var iss: IssuerClaim
  public var aud: AudienceClaim
  public var sub: SubjectClaim
  public var iat: IssuedAtClaim
  public var nbf: NotBeforeClaim
  public var exp: ExpirationClaim
  public var jti: IDClaim
  /// Session: a login session's refresh-token family, or "apikey:<id>".
  public var sid: String
  public var name: String
  public var kind: Principal.Kind
  public var orgs: [Membership]
  /// Space-separated scopes (RFC 8693 style).
  public var scope: String
  /// Platform admin.
  public var padm: Bool?

  public init(
    iss: IssuerClaim, aud: AudienceClaim, sub: SubjectClaim, iat: IssuedAtClaim,
    nbf: NotBeforeClaim, exp: ExpirationClaim, jti: IDClaim, sid: String, name: String,
    kind: Principal.Kind, orgs: [Membership], scope: String, padm: Bool?
  ) {
    self.iss = iss
    self.aud = aud
    self.sub = sub
    self.iat = iat
    self.nbf = nbf
    self.exp = exp
    self.jti = jti
    self.sid = sid
    self.name = name
    self.kind = kind
    self.orgs = orgs
    self.scope = scope
    self.padm = padm
  }

  /// Claims are checked by `AccessTokenVerifier` (issuer, audience, times, revocation), which
  /// has the configuration; jwt-kit's own hook does nothing more.
  public func verify(using algorithm: some JWTAlgorithm) async throws {}

  /// The principal these claims describe.
  public var principal: Principal {
    Principal(
      subject: sub.value, name: name, kind: kind,
      memberships: Dictionary(orgs.map { ($0.id, $0.role) }, uniquingKeysWith: max),
      scopes: Set(scope.split(separator: " ").compactMap { Scope(rawValue: String($0)) }),
      isPlatformAdmin: padm ?? false, tokenID: jti.value, sessionID: sid,
      expiresAt: exp.value.timeIntervalSince1970, issuedAt: iat.value.timeIntervalSince1970)
  }
}
