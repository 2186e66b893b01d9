public import ORDPAuth

/// Microseconds since 1970, the time unit of the store and the API.
public typealias Micros = Int64

/// A town.
public struct OrganisationRecord: Sendable, Equatable, Codable {
  public enum Kind: String, Sendable, Codable {
    case pioneer
    case joining
  }

  public var id: String
  public var displayName: String
  public var kind: Kind
  public var active: Bool
  public var createdAt: Micros
  /// Amtlicher Gemeindeschlüssel (8 digits); nil when not known.
  public var municipalityKey: String? = nil
}

public struct MembershipRecord: Sendable, Equatable, Hashable {
  public var organisationID: String
  public var role: MemberRole
}

/// A person who logs in.
public struct UserRecord: Sendable, Equatable {
  public var id: String
  public var username: String
  public var displayName: String
  public var email: String
  /// `PasswordHash` encoding: algorithm, parameters, salt and hash.
  public var passwordHash: String
  public var platformAdmin: Bool
  public var disabled: Bool
  public var createdAt: Micros
  public var memberships: [MembershipRecord]

  public var subject: String { "user:\(id)" }
}

/// A machine client of one organisation.
public struct ServiceAccountRecord: Sendable, Equatable {
  public var id: String
  public var organisationID: String
  public var name: String
  public var description: String
  public var createdAt: Micros

  public var subject: String { "service:\(id)" }
}

/// An API key of a service account; the secret itself is never stored, only its SHA-256.
public struct APIKeyRecord: Sendable, Equatable {
  public var id: String
  public var serviceAccountID: String
  public var organisationID: String
  public var secretHash: [UInt8]
  public var scopes: [Scope]
  public var createdAt: Micros
  public var expiresAt: Micros?
  public var revokedAt: Micros?
  public var lastUsedAt: Micros?
}

/// A login session: the family of refresh tokens that rotate from one login.
public struct SessionRecord: Sendable, Equatable {
  public var id: String
  public var userID: String
  public var createdAt: Micros
  public var expiresAt: Micros
  public var revokedAt: Micros?
}

/// One refresh token of a session, by the SHA-256 of its value.
public struct RefreshTokenRecord: Sendable, Equatable {
  public var hash: [UInt8]
  public var sessionID: String
  public var issuedAt: Micros
  public var expiresAt: Micros
  public var usedAt: Micros?
}

/// A token-signing key (Ed25519). The private key stays in identity's store.
public struct SigningKeyRecord: Sendable, Equatable {
  public var id: String
  public var privateKey: [UInt8]
  public var createdAt: Micros
  /// When a newer key took over signing.
  public var retiredAt: Micros?
}

/// Failed logins counted under one key ("user:<name>" or "address:<ip>").
public struct ThrottleRecord: Sendable, Equatable {
  public var key: String
  public var failures: Int
  public var windowStart: Micros
  public var lockedUntil: Micros?

  public init(key: String, failures: Int, windowStart: Micros, lockedUntil: Micros?) {
    self.key = key
    self.failures = failures
    self.windowStart = windowStart
    self.lockedUntil = lockedUntil
  }
}

/// One line of the audit log.
public struct AuditRecord: Sendable, Equatable {
  public var sequence: UInt64 = 0
  public var at: Micros
  public var actor: String
  public var action: String
  public var target: String
  public var outcome: String
  public var organisations: [String]
  public var source: String
  public var detail: String

  public init(
    at: Micros, actor: String, action: String, target: String, outcome: String = "ok",
    organisations: [String] = [], source: String = "", detail: String = ""
  ) {
    self.at = at
    self.actor = actor
    self.action = action
    self.target = target
    self.outcome = outcome
    self.organisations = organisations
    self.source = source
    self.detail = detail
  }
}

/// What the audit log is searched by.
public struct AuditQuery: Sendable {
  public var organisationID: String?
  public var actor: String?
  public var from: Micros?
  public var to: Micros?
  /// Events with a sequence below this (the cursor), newest first.
  public var before: Int64?
  public var limit: Int
}

/// A revocation to publish, written with the change that causes it.
public struct NewRevocation: Sendable {
  public var kind: RevocationEntry.Kind
  public var value: String
  public var revokedAt: Micros
  public var expiresAt: Micros
}
