import ORDPAuth
import ORDPCatalogueAPI
import ORDPRPC

/// Who may read and write which dataset. Reads (`catalogue:read`): public for anyone;
/// internal for callers with the read scope; restricted for callers with it in the publisher
/// or a granted town (and platform admins) — the rule every service shares (`ReadAccess`).
/// Writes: `catalogue:write` in the publishing town.
enum CatalogueAccess {
  static func canRead(_ dataset: Ordp_Catalogue_V1_Dataset, _ principal: Principal?) -> Bool {
    let level: ReadAccess.Level =
      switch dataset.accessLevel {
      case .public, .unspecified: .public
      case .internal: .internal
      case .restricted: .restricted
      case .UNRECOGNIZED: .unknown
      }
    return ReadAccess.allows(
      level, owner: dataset.publisher, granted: dataset.grantedOrganisations, principal,
      scope: .catalogueRead)
  }

  static func canWrite(_ publisher: String, _ principal: Principal?) -> Bool {
    principal?.may(.catalogueWrite, in: publisher) ?? false
  }

  /// The access levels a caller may see at all, and the towns whose restricted datasets it may
  /// see (publisher or granted): what a search filters on.
  static func visibility(_ principal: Principal?) -> (levels: [Int], towns: Set<String>, all: Bool)
  {
    let reach = ReadAccess.reach(principal, scope: .catalogueRead)
    if reach.everything { return ([1, 2, 3], [], true) }
    let levels =
      [Ordp_Catalogue_V1_AccessLevel.public.rawValue]
      + (reach.internal ? [Ordp_Catalogue_V1_AccessLevel.internal.rawValue] : [])
    return (levels, reach.towns, false)
  }

  static func requireWrite(
    _ publisher: String, _ principal: Principal?, method: String
  ) throws(RPCError)
    -> Principal
  {
    guard let principal else {
      throw RPCError(.unauthenticated, "\(method) needs an access token")
    }
    guard principal.may(.catalogueWrite, in: publisher) else {
      throw RPCError(
        .permissionDenied,
        "\(method) needs catalogue:write in \(publisher) (editor, admin or a service account of the town)"
      )
    }
    return principal
  }
}
