import ORDPAuth
import ORDPCatalogueAPI
import ORDPRPC

/// Who may read and write which dataset. Reads: public for anyone; internal for any
/// authenticated caller; restricted for members of the publisher and of granted towns (and
/// platform admins). Writes: `catalogue:write` in the publishing town.
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
      level, owner: dataset.publisher, granted: dataset.grantedOrganisations, principal)
  }

  /// The access levels a caller may see at all, and the towns whose restricted datasets it may
  /// see (publisher or granted): what a search filters on.
  static func visibility(_ principal: Principal?) -> (levels: [Int], towns: Set<String>, all: Bool)
  {
    guard let principal else { return ([Ordp_Catalogue_V1_AccessLevel.public.rawValue], [], false) }
    if principal.isPlatformAdmin { return ([1, 2, 3], [], true) }
    return ([1, 2], Set(principal.memberships.keys), false)
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
