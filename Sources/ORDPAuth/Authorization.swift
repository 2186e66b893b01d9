/// What a caller may do: scopes, carried by tokens.
public enum Scope: String, Sendable, CaseIterable, Codable {
  case catalogueRead = "catalogue:read"
  case catalogueWrite = "catalogue:write"
  case analyticsIngest = "analytics:ingest"
  case analyticsQuery = "analytics:query"
  case identityAdmin = "identity:admin"
}

/// A member's role in one organisation.
public enum MemberRole: String, Sendable, Codable, CaseIterable, Comparable {
  case viewer
  case editor
  case admin
  /// A service account of the organisation; its scopes come from its API key.
  case service

  /// The scopes this role grants within its organisation.
  public var scopes: Set<Scope> {
    switch self {
    case .viewer: [.catalogueRead, .analyticsQuery]
    case .editor: [.catalogueRead, .analyticsQuery, .catalogueWrite, .analyticsIngest]
    case .admin: Set(Scope.allCases)
    case .service: []
    }
  }

  private var rank: Int {
    switch self {
    case .service: 0
    case .viewer: 1
    case .editor: 2
    case .admin: 3
    }
  }

  public static func < (lhs: MemberRole, rhs: MemberRole) -> Bool { lhs.rank < rhs.rank }
}

/// Who is calling, as an access token says.
public struct Principal: Sendable, Equatable {
  public enum Kind: String, Sendable, Codable {
    case user
    case service
  }

  /// "user:<id>" or "service:<id>".
  public var subject: String
  /// Username or service-account name.
  public var name: String
  public var kind: Kind
  /// Role per organisation id.
  public var memberships: [String: MemberRole]
  /// For service accounts: what their key allows. For users: the union of their roles' scopes.
  public var scopes: Set<Scope>
  public var isPlatformAdmin: Bool
  public var tokenID: String
  public var sessionID: String
  /// Seconds since 1970.
  public var expiresAt: Double
  /// When the token was issued, seconds since 1970 (a subject's revocation covers the tokens
  /// issued before it).
  public var issuedAt: Double

  public init(
    subject: String, name: String, kind: Kind, memberships: [String: MemberRole],
    scopes: Set<Scope>, isPlatformAdmin: Bool, tokenID: String, sessionID: String,
    expiresAt: Double, issuedAt: Double = 0
  ) {
    self.subject = subject
    self.name = name
    self.kind = kind
    self.memberships = memberships
    self.scopes = scopes
    self.isPlatformAdmin = isPlatformAdmin
    self.tokenID = tokenID
    self.sessionID = sessionID
    self.expiresAt = expiresAt
    self.issuedAt = issuedAt
  }

  /// The user or service-account id without the kind prefix.
  public var id: String {
    subject.split(separator: ":", maxSplits: 1).last.map(String.init) ?? subject
  }

  /// Whether the caller may use `scope` for `organisation`: platform admins always; members
  /// when their role grants it; service accounts when their key has the scope.
  public func may(_ scope: Scope, in organisation: String) -> Bool {
    if isPlatformAdmin { return true }
    guard let role = memberships[organisation] else { return false }
    switch kind {
    case .user: return role.scopes.contains(scope)
    case .service: return scopes.contains(scope)
    }
  }

  /// Whether the caller is an admin of `organisation` (or a platform admin).
  public func isAdmin(of organisation: String) -> Bool {
    isPlatformAdmin || (kind == .user && memberships[organisation] == .admin)
      || (kind == .service && memberships[organisation] != nil && scopes.contains(.identityAdmin))
  }

  /// Organisations in which the caller is a member (any role).
  public var organisations: Set<String> { Set(memberships.keys) }
}
