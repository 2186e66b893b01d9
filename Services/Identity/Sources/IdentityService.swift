import Crypto
import Foundation
import Logging
import ORDPAuth
public import ORDPIdentityAPI
public import ORDPRPC

/// `ordp.identity.v1.Identity`: the calls, their authorisation rules and their audit.
/// State lives in an `IdentityStore`; tokens are signed by the `SigningKeyRing`.
public final class IdentityService: Ordp_Identity_V1_Identity_ServiceProtocol {
  let store: any IdentityStore
  let configuration: IdentityConfiguration
  let hasher: PasswordHasher
  let policy: PasswordPolicy
  let keys: SigningKeyRing
  let logger: Logger
  let dummyHash: String
  let clock: @Sendable () -> Micros

  init(
    store: any IdentityStore, configuration: IdentityConfiguration, hasher: PasswordHasher,
    policy: PasswordPolicy, keys: SigningKeyRing, dummyHash: String, logger: Logger,
    clock: @escaping @Sendable () -> Micros
  ) {
    self.store = store
    self.configuration = configuration
    self.hasher = hasher
    self.policy = policy
    self.keys = keys
    self.dummyHash = dummyHash
    self.logger = logger
    self.clock = clock
  }

  /// Methods callable without an access token.
  public static let anonymousMethods: Set<String> = Set(
    [
      Ordp_Identity_V1_Identity.Method.login, Ordp_Identity_V1_Identity.Method.refresh,
      Ordp_Identity_V1_Identity.Method.logout, Ordp_Identity_V1_Identity.Method.exchangeApiKey,
      Ordp_Identity_V1_Identity.Method.getPublicKeys,
      Ordp_Identity_V1_Identity.Method.listRevocations,
      Ordp_Identity_V1_Identity.Method.listOrganisations,
      Ordp_Identity_V1_Identity.Method.getOrganisation,
    ].map(\.path))

  /// No identity request needs more than this (a user with its memberships, a password):
  /// larger ones are refused before they are decoded.
  public static let requestLimits: [String: Int] = {
    Dictionary(
      uniqueKeysWithValues: Ordp_Identity_V1_Identity.Method.all.map { ($0.path, 64 << 10) })
  }()

  public var maximumRequestBytes: [String: Int] { Self.requestLimits }

  var now: Micros { clock() }
  /// Memberships one user may have at most (a region has a handful of towns).
  static let maximumMemberships = 100
  /// When a revocation written now may be forgotten.
  var revocationExpiry: Micros { now + configuration.publicationRetention }

  // MARK: Audit

  func audit(
    _ context: ServerContext, _ principal: Principal?, _ action: String, target: String,
    outcome: String = "ok", organisations: [String] = [], detail: String = ""
  ) -> AuditRecord {
    AuditRecord(
      at: now, actor: principal?.subject ?? "anonymous", action: action, target: target,
      outcome: outcome, organisations: organisations, source: Self.source(context), detail: detail)
  }

  /// Writes a record of a refused or failed attempt; never fails the call itself.
  func auditAttempt(_ record: AuditRecord) async {
    do {
      try await store.appendAudit(record)
    } catch {
      logger.error("cannot write audit record \(record.action): \(error)")
    }
  }

  static func source(_ context: ServerContext) -> String {
    context.remoteAddress?.ipAddress ?? context.peerIdentity ?? "unknown"
  }

  // MARK: Authorisation

  func requirePlatformAdmin(_ context: ServerContext) throws -> Principal {
    let principal = try context.requirePrincipal()
    guard principal.isPlatformAdmin else {
      throw RPCError(.permissionDenied, "\(context.method.method) needs a platform admin")
    }
    return principal
  }

  func requireAdmin(of organisation: String, _ context: ServerContext) throws -> Principal {
    let principal = try context.requirePrincipal()
    guard principal.isAdmin(of: organisation) else {
      throw RPCError(
        .permissionDenied, "\(context.method.method) needs the admin role in \(organisation)")
    }
    return principal
  }

  /// An active organisation, or NOT_FOUND / FAILED_PRECONDITION.
  func activeOrganisation(_ id: String, field: String) async throws -> OrganisationRecord {
    try Validation.organisationID(id, field: field)
    guard let organisation = try await store.organisation(id: id) else {
      throw RPCError(.notFound, "organisation \(id) not found")
    }
    guard organisation.active else {
      throw RPCError(.failedPrecondition, "organisation \(id) is deactivated")
    }
    return organisation
  }

  // MARK: Tokens

  /// Signs an access token for `subject`.
  func issueAccessToken(
    subject: String, name: String, kind: Principal.Kind,
    memberships: [AccessTokenClaims.Membership], scopes: [Scope], platformAdmin: Bool,
    session: String
  ) async throws -> (token: String, claims: AccessTokenClaims) {
    let issuedAt = now
    let seconds = Double(issuedAt) / 1_000_000
    let claims = AccessTokenClaims(
      iss: .init(value: configuration.issuer), aud: .init(value: [configuration.audience]),
      sub: .init(value: subject), iat: .init(value: Date(timeIntervalSince1970: seconds)),
      nbf: .init(value: Date(timeIntervalSince1970: seconds)),
      exp: .init(
        value: Date(
          timeIntervalSince1970: seconds + Double(configuration.accessTokenLifetime) / 1_000_000)),
      jti: .init(value: UUID().uuidString.lowercased()), sid: session, name: name, kind: kind,
      orgs: memberships, scope: scopes.map(\.rawValue).sorted().joined(separator: " "),
      padm: platformAdmin ? true : nil)
    return (try await keys.sign(claims, now: issuedAt), claims)
  }

  /// Memberships and scopes a user's token carries: only those of active organisations.
  func userGrants(
    _ user: UserRecord
  ) async throws -> (
    [AccessTokenClaims.Membership], [Scope]
  ) {
    let active = Set(try await store.organisations(includeInactive: false).map(\.id))
    let memberships = user.memberships.filter { active.contains($0.organisationID) }
    var scopes = Set<Scope>()
    for membership in memberships { scopes.formUnion(membership.role.scopes) }
    if user.platformAdmin { scopes = Set(Scope.allCases) }
    return (
      memberships.map { .init(id: $0.organisationID, role: $0.role) },
      scopes.sorted { $0.rawValue < $1.rawValue }
    )
  }

  /// A random secret of 32 bytes, base64url without padding.
  static func randomSecret(bytes: Int = 32) -> String {
    var generator = SystemRandomNumberGenerator()
    let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
    return data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
      .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
  }

  static func sha256(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Data(text.utf8))) }
}

extension IdentityStoreError: RPCErrorConvertible {
  public var rpcError: RPCError {
    switch self {
    case .alreadyExists(let what): RPCError(.alreadyExists, "\(what) already exists")
    case .notFound(let what): RPCError(.notFound, "\(what) not found")
    }
  }
}
