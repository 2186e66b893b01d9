public import ORDPAuth

/// Errors of the store that callers turn into statuses.
public enum IdentityStoreError: Error, Equatable {
  /// A unique value is taken (e.g. "username").
  case alreadyExists(String)
  case notFound(String)
}

/// What a user change writes beside the user.
public struct UserUpdate: Sendable {
  public enum Revocation: Sendable {
    case none
    /// Every open session of the user ends (password change, disabling, removal from a town).
    case sessions
    /// Access tokens issued before now stop (a lowered role): the session goes on, and a
    /// refresh gets a token with the new rights.
    case earlierTokens
  }

  public var revocation: Revocation
  public var audit: AuditRecord

  public init(revocation: Revocation = .none, audit: AuditRecord) {
    self.revocation = revocation
    self.audit = audit
  }
}

/// The outcome of presenting a refresh token.
public enum RefreshOutcome: Sendable, Equatable {
  /// The token was current: it is now used and `next` replaces it.
  case rotated(SessionRecord)
  /// The token was used before: the whole session has been revoked.
  case reused(SessionRecord)
  /// Unknown, expired, or its session ended.
  case invalid
}

/// Identity's persistent state. `SQLiteIdentityStore` is the embedded implementation; a
/// PostgreSQL one implements the same protocol. Every change that must be audited takes its
/// audit record and writes both in one transaction; every method is durable when it returns.
public protocol IdentityStore: Sendable {
  // Organisations
  func organisations(includeInactive: Bool) async throws -> [OrganisationRecord]
  func organisation(id: String) async throws -> OrganisationRecord?
  /// Inserts the organisations that do not exist yet; returns how many were new.
  func seedOrganisations(_ organisations: [OrganisationRecord]) async throws -> Int
  func insertOrganisation(_ organisation: OrganisationRecord, audit: AuditRecord) async throws
  /// Sets `active`; with `revocations` (the organisation's API-key sessions) when deactivating.
  func setOrganisationActive(
    id: String, active: Bool, revocationExpiry: Micros, audit: AuditRecord
  ) async throws -> OrganisationRecord

  // Users
  func user(id: String) async throws -> UserRecord?
  func user(username: String) async throws -> UserRecord?
  /// Members of an organisation ordered by username, after `afterUsername`.
  func users(
    inOrganisation: String, afterUsername: String?, limit: Int
  ) async throws
    -> [UserRecord]
  func hasPlatformAdmin() async throws -> Bool
  func insertUser(_ user: UserRecord, audit: AuditRecord) async throws
  /// Changes a user inside one write transaction: reads the user as it is now, lets `change`
  /// modify it (it may refuse by throwing), writes the result with the revocations and the
  /// audit record `change` returns. Concurrent changes to one user therefore apply one after
  /// the other to the current state; none silently undoes another. NOT_FOUND when the user
  /// does not exist.
  func modifyUser(
    id: String, revocationExpiry: Micros,
    _ change: @escaping @Sendable (inout UserRecord) throws -> UserUpdate
  ) async throws -> UserRecord
  func deleteUser(id: String, revocationExpiry: Micros, audit: AuditRecord) async throws

  // Sessions and refresh tokens
  func createSession(
    _ session: SessionRecord, token: RefreshTokenRecord, audit: AuditRecord)
    async throws
  /// Uses the token with hash `hash` at `now`: rotates it to `next` when current, revokes its
  /// session when it was used before.
  func useRefreshToken(
    hash: [UInt8], next: RefreshTokenRecord, now: Micros, revocationExpiry: Micros
  ) async throws -> RefreshOutcome
  /// Ends the session the token belongs to; false when the token is unknown.
  func endSession(
    refreshTokenHash: [UInt8], now: Micros, revocationExpiry: Micros, audit: AuditRecord
  ) async throws -> SessionRecord?

  // Revocations
  /// Revocations after `sequence` that have not expired at `now`, at most `limit`, with the
  /// sequence they cover up to and whether more follow.
  func revocations(after sequence: Int64, now: Micros, limit: Int) async throws -> RevocationPage

  // Service accounts and API keys
  func insertServiceAccount(_ account: ServiceAccountRecord, audit: AuditRecord) async throws
  func serviceAccount(id: String) async throws -> ServiceAccountRecord?
  func serviceAccounts(inOrganisation: String) async throws -> [ServiceAccountRecord]
  func insertAPIKey(_ key: APIKeyRecord, audit: AuditRecord) async throws
  func apiKey(id: String) async throws -> APIKeyRecord?
  func apiKeys(serviceAccountID: String) async throws -> [APIKeyRecord]
  func revokeAPIKey(
    id: String, at: Micros, revocationExpiry: Micros, audit: AuditRecord
  )
    async throws -> APIKeyRecord
  /// Writes the audit record of an exchange and, when `touch`, the key's last use.
  func recordAPIKeyUse(id: String, touch: Bool, audit: AuditRecord) async throws

  // Signing keys
  func signingKeys() async throws -> [SigningKeyRecord]
  /// Adds `key` as the signing key and retires the current one at `key.createdAt`.
  func addSigningKey(_ key: SigningKeyRecord, audit: AuditRecord?) async throws
  /// Deletes keys retired before `cutoff`.
  func deleteSigningKeys(retiredBefore cutoff: Micros) async throws

  // Login throttling
  /// Reads the records of `keys` and writes what `update` makes of them, in one transaction
  /// (concurrent attempts cannot both see the old count). Returns the records as they were.
  func updateThrottles(
    keys: [String], _ update: @escaping @Sendable ([String: ThrottleRecord]) -> [ThrottleRecord]
  ) async throws -> [String: ThrottleRecord]
  func clearThrottle(key: String) async throws

  // Audit
  func appendAudit(_ record: AuditRecord) async throws
  func queryAudit(_ query: AuditQuery) async throws -> [AuditRecord]

  // Housekeeping
  /// Deletes expired refresh tokens, sessions and revocations; returns how many rows went.
  func deleteExpired(now: Micros) async throws -> Int
}
