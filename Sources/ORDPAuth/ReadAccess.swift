/// Who may read a resource with an access level — the rule every service shares (catalogue
/// datasets, analytics datastreams): public for anyone, also without a token; internal for any
/// authenticated caller; restricted for members of the owning town and of granted towns, and
/// platform admins. An unknown level is readable by nobody.
public enum ReadAccess {
  public enum Level: Sendable {
    case `public`
    case `internal`
    case restricted
    case unknown
  }

  public static func allows(
    _ level: Level, owner: String, granted: [String], _ principal: Principal?
  ) -> Bool {
    switch level {
    case .public: return true
    case .internal: return principal != nil
    case .restricted:
      guard let principal else { return false }
      if principal.isPlatformAdmin { return true }
      return principal.memberships[owner] != nil
        || granted.contains { principal.memberships[$0] != nil }
    case .unknown: return false
    }
  }
}
