public import ORDPCatalogueAPI

/// What search needs of every dataset, in memory: filter, facet and sort fields with interned
/// values, kept at one feed position by applying the change feed in order. Text matching stays
/// in SQLite's FTS5; this answers filters, visibility, facets, totals, order and cursors over
/// the whole catalogue in milliseconds, which grouping over SQL rows cannot at 100,000
/// datasets. I/O-free.
public struct SearchIndex: Sendable {
  struct Entry: Sendable {
    var id: String
    var revision: UInt64
    var withdrawn: Bool
    var access: Int
    var publisher: Int32
    var license: Int32
    var modified: Int64
    var titleSort: String
    var bbox: (west: Double, south: Double, east: Double, north: Double)?
    var grants: [Int32]
    var themes: [Int32]
    var keywords: [Int32]
    /// The dataset's spelling of each of `keywords`.
    var keywordSpellings: [String]
    var formats: [Int32]
  }

  /// Values of one field as small integers, with the text shown for them: the smallest
  /// spelling (byte order) among the current datasets — what the SQL path shows too.
  struct Interner: Sendable {
    var ids: [String: Int32] = [:]
    var display: [String] = []
    /// Per value: how many current datasets spell it which way.
    var spellings: [[String: Int]] = []

    mutating func id(_ value: String) -> Int32 {
      if let id = ids[value] { return id }
      let id = Int32(display.count)
      ids[value] = id
      display.append(value)
      spellings.append([:])
      return id
    }

    /// Counts one dataset's spelling of a value (`by` +1 on apply, -1 when replaced).
    mutating func count(_ id: Int32, spelling: String, by delta: Int) {
      let index = Int(id)
      let first = spellings[index].isEmpty
      let now = spellings[index][spelling, default: 0] + delta
      spellings[index][spelling] = now > 0 ? now : nil
      if delta > 0 {
        if first || spelling.utf8.lexicographicallyPrecedes(display[index].utf8) {
          display[index] = spelling
        }
      } else if now <= 0, display[index] == spelling {
        display[index] =
          spellings[index].keys.min { $0.utf8.lexicographicallyPrecedes($1.utf8) } ?? display[index]
      }
    }

    func lookup(_ value: String) -> Int32? { ids[value] }
    var count: Int { display.count }
  }

  /// The feed position the index reflects.
  public private(set) var position: UInt64 = 0
  var entries: [Int64: Entry] = [:]
  var towns = Interner()
  var licenses = Interner()
  var themes = Interner()
  var keywords = Interner()
  var formats = Interner()

  public init() {}

  public var count: Int { entries.count }

  /// Applies one committed change: the dataset's state at that position.
  public mutating func apply(position: UInt64, seq: Int64, dataset: Ordp_Catalogue_V1_Dataset) {
    precondition(position > self.position, "changes apply in feed order")
    self.position = position
    let box = dataset.hasSpatial && dataset.spatial.hasBbox_p ? dataset.spatial.bbox : nil
    if let previous = entries[seq] {
      for (id, spelling) in zip(previous.keywords, previous.keywordSpellings) {
        keywords.count(id, spelling: spelling, by: -1)
      }
    }
    var keywordIDs: [Int32] = []
    var spellings: [String] = []
    for keyword in dataset.keywords {
      let id = keywords.id(GermanFolding.fold(keyword))
      if !keywordIDs.contains(id) {
        keywordIDs.append(id)
        spellings.append(keyword)
        keywords.count(id, spelling: keyword, by: 1)
      }
    }
    var formatIDs: [Int32] = []
    for distribution in dataset.distributions where !distribution.format.isEmpty {
      let id = formats.id(distribution.format.uppercased())
      if !formatIDs.contains(id) { formatIDs.append(id) }
    }
    entries[seq] = Entry(
      id: dataset.id, revision: dataset.revision, withdrawn: dataset.withdrawn,
      access: dataset.accessLevel.rawValue, publisher: towns.id(dataset.publisher),
      license: licenses.id(dataset.license), modified: dataset.modifiedMicros,
      titleSort: GermanFolding.fold(dataset.title),
      bbox: box.map { ($0.west, $0.south, $0.east, $0.north) },
      grants: dataset.grantedOrganisations.map { towns.id($0) },
      themes: Array(Set(dataset.themes.map { themes.id($0) })).sorted(),
      keywords: keywordIDs, keywordSpellings: spellings, formats: formatIDs)
  }
}
