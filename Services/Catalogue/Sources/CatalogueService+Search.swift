import Foundation
import ORDPAuth
public import ORDPCatalogueAPI
public import ORDPRPC

extension CatalogueService {
  public func search(
    request: Ordp_Catalogue_V1_SearchRequest, context: ServerContext
  )
    async throws -> Ordp_Catalogue_V1_SearchResponse
  {
    let query = try Self.query(request, principal: context.principal)
    let page = try await searches.run(caller: context.principal?.subject, "search") {
      try await searching.search(query, facets: request.facets)
    }
    var response = Ordp_Catalogue_V1_SearchResponse()
    response.hits = try page.hits.map { hit in
      var wire = Ordp_Catalogue_V1_SearchHit()
      wire.dataset = hit.dataset
      wire.score = hit.score
      wire.sortKey = hit.sortKey
      if request.hitPageTokens {
        wire.pageToken = try Self.encode(
          CatalogueQuery.Cursor(order: query.orderName, key: hit.sortKey, id: hit.dataset.id))
      }
      return wire
    }
    if let next = page.next { response.nextPageToken = try Self.encode(next) }
    response.total = UInt64(page.total)
    response.position = page.position
    response.facets = page.facets.map { facet in
      var wire = Ordp_Catalogue_V1_Facet()
      wire.field = facet.field
      wire.values = facet.values.map { value, count in
        var entry = Ordp_Catalogue_V1_FacetValue()
        entry.value = value
        entry.count = UInt64(count)
        return entry
      }
      return wire
    }
    return response
  }

  /// The store query for a request and a caller; INVALID_ARGUMENT for bad fields.
  static func query(
    _ request: Ordp_Catalogue_V1_SearchRequest, principal: Principal?
  ) throws
    -> CatalogueQuery
  {
    var query = CatalogueQuery()
    if request.query.utf8.count > 2000 || request.query.count > 500 {
      throw RPCError(.invalidArgument, "query: must be at most 500 characters")
    }
    for (field, count) in [
      ("publishers", request.publishers.count), ("themes", request.themes.count),
      ("keywords", request.keywords.count), ("licenses", request.licenses.count),
      ("formats", request.formats.count), ("access_levels", request.accessLevels.count),
    ] where count > Self.maximumFilterValues {
      throw RPCError(.invalidArgument, "\(field): at most \(Self.maximumFilterValues) values")
    }
    for (field, values) in [
      ("publishers", request.publishers), ("themes", request.themes),
      ("keywords", request.keywords), ("licenses", request.licenses), ("formats", request.formats),
    ] where values.contains(where: { $0.utf8.count > 300 }) {
      throw RPCError(.invalidArgument, "\(field): values of at most 300 bytes")
    }
    query.words = Array(GermanFolding.words(request.query).prefix(12))
    query.publishers = request.publishers
    query.themes = request.themes.map { $0.uppercased() }
    query.keywords = request.keywords.map(GermanFolding.fold)
    query.licenses = request.licenses
    query.formats = request.formats.map { $0.uppercased() }
    query.accessLevels = request.accessLevels.map(\.rawValue)
    if request.modifiedFromMicros != 0 { query.modifiedFrom = request.modifiedFromMicros }
    if request.modifiedToMicros != 0 { query.modifiedTo = request.modifiedToMicros }
    if let from = query.modifiedFrom, let to = query.modifiedTo, from >= to {
      throw RPCError(.invalidArgument, "modified_to_micros: must be after modified_from_micros")
    }
    if request.hasBbox_p {
      let box = request.bbox
      guard box.west <= box.east, box.south <= box.north, (-180...180).contains(box.west),
        (-180...180).contains(box.east), (-90...90).contains(box.south),
        (-90...90).contains(box.north)
      else {
        throw RPCError(.invalidArgument, "bbox: not a WGS 84 box (west ≤ east, south ≤ north)")
      }
      query.bbox = box
    }
    switch request.sort {
    case .relevance: query.order = .relevance
    case .modified: query.order = .modified
    case .title: query.order = .title
    case .UNRECOGNIZED(let value): throw RPCError(.invalidArgument, "sort: unknown order \(value)")
    }
    query.limit = request.pageSize == 0 ? 20 : min(Int(request.pageSize), 1000)
    guard request.facetLimit <= 1000 else {
      throw RPCError(.invalidArgument, "facet_limit: at most 1000")
    }
    query.facetLimit = request.facetLimit == 0 ? 50 : Int(request.facetLimit)
    let visibility = CatalogueAccess.visibility(principal)
    query.visibleLevels = visibility.all ? nil : visibility.levels
    query.memberOf = visibility.towns.sorted()
    if !request.pageToken.isEmpty {
      guard request.pageToken.utf8.count <= 4096, let cursor = decode(request.pageToken),
        cursor.order == query.orderName,
        query.effectiveOrder == .title || Int64(cursor.key) != nil
      else {
        throw RPCError(
          .invalidArgument, "page_token: not a page token of this search (same query and sort)")
      }
      query.after = cursor
    }
    return query
  }

  /// Values one filter of a search may name.
  static let maximumFilterValues = 100

  static func encode(_ cursor: CatalogueQuery.Cursor) throws -> String {
    try JSONEncoder().encode(cursor).base64EncodedString()
  }

  static func decode(_ token: String) -> CatalogueQuery.Cursor? {
    guard let data = Data(base64Encoded: token) else { return nil }
    return try? JSONDecoder().decode(CatalogueQuery.Cursor.self, from: data)
  }
}
