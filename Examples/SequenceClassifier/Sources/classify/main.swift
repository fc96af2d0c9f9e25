// classify: runs the row-by-row classifier on a few synthetic 8×8 images
// (a bar, a cross, a frame) and prints each one's most likely class.
import SequenceClassifierModel

func image(_ pixel: (Int, Int) -> Bool) -> [Float] {
    (0..<64).map { pixel($0 / 8, $0 % 8) ? 1 : 0 }
}

let images: [(String, [Float])] = [
    ("vertical bar", image { _, c in c == 3 || c == 4 }),
    ("cross", image { r, c in r == c || r + c == 7 }),
    ("frame", image { r, c in r == 0 || r == 7 || c == 0 || c == 7 }),
]
let probabilities = ImageClassifier.classify(images.flatMap(\.1), count: images.count)
for (index, (name, _)) in images.enumerated() {
    let scores = probabilities[(index * 10)..<((index + 1) * 10)]
    let best = scores.indices.max { scores[$0] < scores[$1] }!
    print("\(name): class \(best - index * 10) with probability \(scores[best])")
}
