import Foundation
public import Logging
public import ORDPAuth
public import ORDPCatalogueAPI
public import ORDPRPC

/// `ordp.catalogue.v1.Catalogue`: datasets with revisions, access rules, the change feed.
public final class CatalogueService: Ordp_Catalogue_V1_Catalogue_ServiceProtocol {
  let store: any CatalogueStore
  let logger: Logger
  let notifier = ChangeNotifier()
  /// Search: FTS5 text matches and the in-memory index.
  let searching: CatalogueSearch
  let clock: @Sendable () -> Int64
  /// IRIs of the RDF export start with this.
  let baseIRI: String
  /// The platform's `dcatde:contributorID`, put on every exported dataset (nil: none).
  let contributorID: String?
  /// The towns by organisation id (names, municipality keys), for the export's publishers.
  let towns: @Sendable () async -> [String: TownInfo]
  /// How many searches and exports run at once (in all, per caller, without a token).
  public struct Admission: Sendable {
    public var searches = AdmissionControl.Limits(total: 16, perCaller: 4, anonymous: 8)
    public var exports = AdmissionControl.Limits(total: 4, perCaller: 1, anonymous: 2)
    public init() {}
    public static var defaults: Admission { Admission() }
  }

  let searches: AdmissionControl
  let exports: AdmissionControl

  /// - Parameters:
  ///   - baseIRI: where the platform's datasets live on the web ("https://daten.example.de/");
  ///     the RDF export names datasets, distributions and towns below it.
  ///   - contributorID: the platform's `dcatde:contributorID` IRI, as GovData assigned it.
  ///   - towns: the towns by id, names and municipality keys (e.g. from the identity service).
  ///   - admission: how many searches and exports run at once.
  public init(
    store: any CatalogueStore, logger: Logger, baseIRI: String = "https://data.ordp.local/",
    contributorID: String? = nil,
    towns: @escaping @Sendable () async -> [String: TownInfo] = { [:] },
    admission: Admission = .defaults
  ) {
    searches = AdmissionControl(limits: admission.searches)
    exports = AdmissionControl(limits: admission.exports)
    self.store = store
    self.searching = CatalogueSearch(store: store)
    self.logger = logger
    self.clock = { Int64(Date().timeIntervalSince1970 * 1_000_000) }
    self.baseIRI = baseIRI
    self.contributorID = contributorID
    self.towns = towns
  }

  /// Builds the search index from the change feed (a search would do it on first use);
  /// call before serving so the first searches do not pay for it.
  public func warmUp() async throws {
    try await searching.catchUp()
  }

  /// Where its handlers run: off the event loops, because validating a dataset of 4 MiB,
  /// parsing a CKAN document, evaluating a search over 100,000 datasets or writing RDF takes
  /// milliseconds of CPU that must not stall the other connections sharing a loop.
  public static let handlerExecution = ServerConfiguration.HandlerExecution.globalExecutor

  /// Requests that name a dataset or a position need little; a search's filters at most
  /// 100 values each. Larger ones are refused before they are decoded. Datasets and CKAN
  /// documents may fill a frame.
  public static let requestLimits: [String: Int] = {
    typealias Method = Ordp_Catalogue_V1_Catalogue.Method
    var limits = Dictionary(
      uniqueKeysWithValues: [
        Method.getDataset, Method.listRevisions, Method.watchChanges, Method.export,
        Method.withdrawDataset,
      ].map { ($0.path, 16 << 10) })
    limits[Method.search.path] = 256 << 10
    return limits
  }()

  public var maximumRequestBytes: [String: Int] { Self.requestLimits }

  /// Methods callable without a token (they show public datasets only then).
  public static let anonymousMethods: Set<String> = Set(
    [
      Ordp_Catalogue_V1_Catalogue.Method.getDataset,
      Ordp_Catalogue_V1_Catalogue.Method.listRevisions, Ordp_Catalogue_V1_Catalogue.Method.search,
      Ordp_Catalogue_V1_Catalogue.Method.watchChanges, Ordp_Catalogue_V1_Catalogue.Method.export,
    ].map(\.path))

  func context(_ principal: Principal) -> WriteContext {
    WriteContext(author: principal.subject, at: clock())
  }

  /// A dataset the caller may see, or NOT_FOUND (also when hidden). For a write, a dataset
  /// the caller may write counts as seen (an API key for writing only, without
  /// `catalogue:read`, updates its town's restricted datasets).
  func visibleDataset(
    _ reference: String, _ principal: Principal?, forWriting: Bool = false
  ) async throws
    -> Ordp_Catalogue_V1_Dataset
  {
    let reference = reference.trimmingCharacters(in: .whitespaces)
    if reference.isEmpty { throw RPCError(.invalidArgument, "id: is required") }
    guard reference.utf8.count <= 200 else {
      throw RPCError(.invalidArgument, "id: at most 200 characters")
    }
    let parts = reference.split(separator: "/", maxSplits: 1)
    let found =
      parts.count == 2
      ? try await store.dataset(publisher: String(parts[0]), slug: String(parts[1]))
      : try await store.dataset(id: reference)
    guard let found,
      CatalogueAccess.canRead(found, principal)
        || (forWriting && CatalogueAccess.canWrite(found.publisher, principal))
    else {
      throw RPCError(.notFound, "dataset \(reference) not found")
    }
    return found
  }

  /// A revision number from a request, which the store keeps as a signed 64-bit integer.
  static func revisionNumber(_ value: UInt64, field: String) throws(RPCError) -> UInt64 {
    guard value <= UInt64(Int64.max) else {
      throw RPCError(.invalidArgument, "\(field): must be at most 2^63 - 1")
    }
    return value
  }

  public func createDataset(
    request: Ordp_Catalogue_V1_CreateDatasetRequest, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_Dataset {
    // Who may write where is decided before the dataset is looked at.
    let principal = try CatalogueAccess.requireWrite(
      request.dataset.publisher.trimmingCharacters(in: .whitespaces), context.principal,
      method: "CreateDataset")
    var dataset = try DatasetValidator.validate(request.dataset)
    dataset.id = UUID().uuidString.lowercased()
    dataset.issuedMicros = request.dataset.issuedMicros
    // Set by CKAN import only.
    dataset.ckanID = ""
    let created = try await store.create(
      dataset, action: "create", context: self.context(principal))
    notifier.notify()
    return created
  }

  public func updateDataset(
    request: Ordp_Catalogue_V1_UpdateDatasetRequest, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_Dataset {
    let current = try await visibleDataset(
      request.dataset.id, context.principal, forWriting: true)
    let principal = try CatalogueAccess.requireWrite(
      current.publisher, context.principal, method: "UpdateDataset")
    if request.baseRevision == 0 {
      throw RPCError(.invalidArgument, "base_revision: is required (the revision you changed)")
    }
    let base = try Self.revisionNumber(request.baseRevision, field: "base_revision")
    var dataset = try DatasetValidator.validate(request.dataset)
    if dataset.publisher != current.publisher {
      throw RPCError(.invalidArgument, "publisher: a dataset cannot move to another town")
    }
    if current.withdrawn {
      throw RPCError(.failedPrecondition, "dataset \(current.id) is withdrawn")
    }
    dataset.id = current.id
    dataset.ckanID = current.ckanID
    let updated = try await store.update(
      dataset, baseRevision: base, action: "update", context: self.context(principal))
    notifier.notify()
    return updated
  }

  public func withdrawDataset(
    request: Ordp_Catalogue_V1_WithdrawDatasetRequest, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_Dataset {
    var current = try await visibleDataset(request.id, context.principal, forWriting: true)
    let principal = try CatalogueAccess.requireWrite(
      current.publisher, context.principal, method: "WithdrawDataset")
    if request.baseRevision == 0 {
      throw RPCError(.invalidArgument, "base_revision: is required (the revision you withdraw)")
    }
    let base = try Self.revisionNumber(request.baseRevision, field: "base_revision")
    if current.withdrawn {
      throw RPCError(.failedPrecondition, "dataset \(current.id) is already withdrawn")
    }
    current.withdrawn = true
    let withdrawn = try await store.update(
      current, baseRevision: base, action: "withdraw", context: self.context(principal))
    notifier.notify()
    return withdrawn
  }

  public func getDataset(
    request: Ordp_Catalogue_V1_GetDatasetRequest, context: ServerContext
  )
    async throws -> Ordp_Catalogue_V1_Dataset
  {
    try await visibleDataset(request.id, context.principal)
  }

  /// Revisions per page at most, and by default.
  static let revisionPageSize = (maximum: 1000, standard: 100)

  /// Revisions in pages, each shown only when the caller may see the dataset as it was then
  /// (a revision that was restricted is left out for a caller outside its towns).
  public func listRevisions(
    request: Ordp_Catalogue_V1_ListRevisionsRequest, context: ServerContext
  ) async throws -> Ordp_Catalogue_V1_ListRevisionsResponse {
    let size =
      request.pageSize == 0
      ? Self.revisionPageSize.standard
      : min(Int(request.pageSize), Self.revisionPageSize.maximum)
    var after: Int64 = 0
    if !request.pageToken.isEmpty {
      guard request.pageToken.utf8.count <= 20, let value = Int64(request.pageToken), value > 0
      else { throw RPCError(.invalidArgument, "page_token: not a page token of this call") }
      after = value
    }
    let dataset = try await visibleDataset(request.id, context.principal)
    let page = try await store.revisions(id: dataset.id, after: after, limit: size + 1)
    var response = Ordp_Catalogue_V1_ListRevisionsResponse()
    response.revisions = page.prefix(size).filter {
      CatalogueAccess.canRead($0.dataset, context.principal)
    }
    if page.count > size, let last = page.prefix(size).last {
      response.nextPageToken = String(last.revision)
    }
    return response
  }

  /// Changes read from the store per page.
  static let changePageSize = 500

  public func watchChanges(
    request: Ordp_Catalogue_V1_WatchChangesRequest,
    responses: RPCResponseWriter<Ordp_Catalogue_V1_Change>, context: ServerContext
  ) async throws {
    guard var position = Int64(exactly: request.afterPosition) else {
      throw RPCError(.invalidArgument, "after_position: must be at most 2^63 - 1")
    }
    guard request.afterCursor.isEmpty else {
      throw RPCError(
        .invalidArgument,
        "after_cursor: a cursor of the gateway's merged feed over several partitions; this catalogue has one feed: resume with after_position"
      )
    }
    while !Task.isCancelled {
      // A follower stays for hours: its token is checked again before every page, so a
      // logout, a revoked key or a lowered role ends the stream.
      let principal = try await context.recheckPrincipal()
      let page = try await store.changes(after: position, limit: Self.changePageSize)
      for change in page {
        position = Int64(change.position)
        // The state at that revision decides: a dataset made public later shows from then on.
        if CatalogueAccess.canRead(change.dataset, principal) { try await responses.write(change) }
      }
      if page.count < Self.changePageSize {
        guard request.follow else { return }
        await notifier.wait(timeout: .seconds(1))
      }
    }
  }
}

extension CatalogueStoreError: RPCErrorConvertible {
  public var rpcError: RPCError {
    switch self {
    case .notFound(let what): RPCError(.notFound, "\(what) not found")
    case .alreadyExists(let what): RPCError(.alreadyExists, "\(what) already exists")
    case .conflict(let id, let current, let base):
      RPCError(
        .aborted,
        "dataset \(id) is at revision \(current); the change was based on revision \(base): read it again and reapply"
      )
    }
  }
}
