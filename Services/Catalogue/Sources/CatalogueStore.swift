public import ORDPCatalogueAPI

/// What a write records beside the new state.
public struct WriteContext: Sendable {
  /// Subject of the writer.
  public var author: String
  /// Microseconds since 1970.
  public var at: Int64

  public init(author: String, at: Int64) {
    self.author = author
    self.at = at
  }
}

/// The catalogue's persistent state: current datasets, every revision, and the change feed.
/// `SQLiteCatalogueStore` is the embedded implementation; a PostgreSQL one implements the same
/// protocol. Every write is durable when it returns and appends exactly one change to the feed.
public protocol CatalogueStore: Sendable {
  /// Inserts a new dataset as revision 1 (`dataset.id` set by the caller).
  func create(
    _ dataset: Ordp_Catalogue_V1_Dataset, action: String, context: WriteContext
  )
    async throws -> Ordp_Catalogue_V1_Dataset
  /// Stores `dataset` as the next revision when the current one is `baseRevision`.
  func update(
    _ dataset: Ordp_Catalogue_V1_Dataset, baseRevision: UInt64, action: String,
    context: WriteContext
  ) async throws -> Ordp_Catalogue_V1_Dataset
  /// Applies imported datasets (each with its CKAN id and publisher set, no id) in one durable
  /// transaction: created, updated (the dataset the same town imported before from that CKAN
  /// id), unchanged, or rejected — one refusal never undoes the others.
  func importBatch(_ items: [ImportItem], context: WriteContext) async throws -> [ImportOutcome]
  func dataset(id: String) async throws -> Ordp_Catalogue_V1_Dataset?
  func dataset(publisher: String, slug: String) async throws -> Ordp_Catalogue_V1_Dataset?
  /// The dataset `publisher` imported from CKAN id `ckanID` (each town has its own ids).
  func dataset(publisher: String, ckanID: String) async throws -> Ordp_Catalogue_V1_Dataset?
  /// Revisions of a dataset after `revision`, oldest first, at most `limit`.
  func revisions(
    id: String, after revision: Int64, limit: Int
  ) async throws
    -> [Ordp_Catalogue_V1_Revision]
  /// Changes after `position`, in order, at most `limit`.
  func changes(after position: Int64, limit: Int) async throws -> [Ordp_Catalogue_V1_Change]
  /// The position of the last committed change (0 when none).
  func latestPosition() async throws -> UInt64
  /// The datasets as they were at feed position `position`, withdrawn ones included, ordered
  /// by id after `afterID`, from at most `limit` datasets; only `publisher`'s when given.
  /// Paging with the same position reads one consistent state whatever is written meanwhile.
  func snapshot(
    at position: UInt64, publisher: String?, afterID: String, limit: Int
  ) async throws -> SnapshotPage
  /// Committed changes after `position` with the dataset's state and storage sequence
  /// number, in order: what the in-memory search index applies.
  func indexChanges(after position: UInt64, limit: Int) async throws -> [IndexChange]
  /// Datasets matching all `words` (folded; each a prefix, in any of title, keywords,
  /// description) with their score (per word: 8 title, 4 keywords, 1 description), and the
  /// feed position they reflect, from one snapshot.
  func textMatches(_ words: [String]) async throws -> (position: UInt64, scores: [Int64: Int])
  /// The datasets at the given revisions, in the given order.
  func datasets(
    revisions: [(id: String, revision: UInt64)]
  ) async throws
    -> [Ordp_Catalogue_V1_Dataset]
  /// One page of a search with its total, facets and feed position, from one snapshot.
  func search(_ query: CatalogueQuery, facets: Bool) async throws -> SearchPage
}

/// One committed change as the search index applies it.
public struct IndexChange: Sendable {
  public var position: UInt64
  public var seq: Int64
  public var dataset: Ordp_Catalogue_V1_Dataset

  public init(position: UInt64, seq: Int64, dataset: Ordp_Catalogue_V1_Dataset) {
    self.position = position
    self.seq = seq
    self.dataset = dataset
  }
}

/// One page of `CatalogueStore.snapshot`.
public struct SnapshotPage: Sendable {
  public var datasets: [Ordp_Catalogue_V1_Dataset]
  /// Where the next page starts; nil after the last one.
  public var nextAfterID: String?

  public init(datasets: [Ordp_Catalogue_V1_Dataset], nextAfterID: String?) {
    self.datasets = datasets
    self.nextAfterID = nextAfterID
  }
}

/// Store errors that calls turn into statuses.
public enum CatalogueStoreError: Error, Equatable {
  case notFound(String)
  case alreadyExists(String)
  /// The dataset moved on since the revision the update was based on.
  case conflict(id: String, current: UInt64, base: UInt64)
}
