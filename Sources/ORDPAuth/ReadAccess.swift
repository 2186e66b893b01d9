/// Who may read a resource with an access level — the rule every service shares (catalogue
/// datasets, analytics datastreams), for the read scope of that service (`catalogue:read`,
/// `analytics:query`): public for anyone, also without a token; internal for any caller whose
/// token carries the read scope; restricted for callers with the read scope in the owning town
/// or a granted one, and platform admins. A token without the read scope (an API key made for
/// ingest only) reads like no token: public resources only. An unknown level is readable by
/// nobody.
public enum ReadAccess {
  public enum Level: Sendable {
    case `public`
    case `internal`
    case restricted
    case unknown
  }

  public static func allows(
    _ level: Level, owner: String, granted: [String], _ principal: Principal?, scope: Scope
  ) -> Bool {
    switch level {
    case .public: return true
    case .internal:
      guard let principal else { return false }
      return principal.isPlatformAdmin || principal.scopes.contains(scope)
    case .restricted:
      guard let principal else { return false }
      return principal.may(scope, in: owner) || granted.contains { principal.may(scope, in: $0) }
    case .unknown: return false
    }
  }

  /// The towns in which `principal` may read restricted resources with `scope` (its own
  /// towns where its role or key grants the scope), and whether it may read internal ones:
  /// what a search filters on.
  public static func reach(
    _ principal: Principal?, scope: Scope
  ) -> (internal: Bool, towns: Set<String>, everything: Bool) {
    guard let principal else { return (false, [], false) }
    if principal.isPlatformAdmin { return (true, [], true) }
    let towns = Set(principal.memberships.keys.filter { principal.may(scope, in: $0) })
    return (principal.scopes.contains(scope), towns, false)
  }
}
