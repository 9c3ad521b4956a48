# Ratio against time, written by nncomp-bench. Render again with
#   gnuplot -e 'fmt="svg"' THIS_FILE    (fmt: png or svg)
if (!exists("fmt")) fmt = "png"
if (fmt eq "svg") {
  set terminal svg size 1280,620 font "sans,12" background rgb "white"
} else {
  set terminal pngcairo size 1280,620 font "sans,10" background rgb "white"
}
set termoption noenhanced
set output "2026-11-22-cpu-rwkv" . "." . fmt
$P0c << EOD
555.608 2.504408
459.28 2.405440
EOD
$L0c << EOD
555.608 2.504408 "gpt/cpu"
459.28 2.405440 "rwkv/cpu"
EOD
$P0d << EOD
559.503 2.504408
491.836 2.405440
EOD
$L0d << EOD
559.503 2.504408 "gpt/cpu"
491.836 2.405440 "rwkv/cpu"
EOD
$P1c << EOD
0.0157269 2.794768
0.350907 2.400536
0.373275 2.400480
0.544324 2.325856
0.0766487 2.250584
EOD
$L1c << EOD
0.0157269 2.794768 "zstd -3"
0.350907 2.400536 "zstd -19, zstd -22 --long"
0.544324 2.325856 "xz -9e"
0.0766487 2.250584 "bzip2 -9"
EOD
$P1d << EOD
0.00873144 2.794768
0.00477362 2.400536
0.00494904 2.400480
0.0184825 2.325856
0.0424541 2.250584
EOD
$L1d << EOD
0.00873144 2.794768 "zstd -3"
0.00477362 2.400536 "zstd -19, zstd -22 --long"
0.0184825 2.325856 "xz -9e"
0.0424541 2.250584 "bzip2 -9"
EOD
set multiplot layout 1,2 title "Compression ratio against time: enwik6 on AMD EPYC, 2026-11-22"
set logscale x 10
set xrange [0.001:10000]
set format x "%g"
set yrange [2.2006:2.8448]
set grid xtics ytics mxtics
set ylabel "bits per character (bpc), lower is better"
set key outside below center horizontal
set xlabel "compression wall time, s (log scale)"
plot $P0c using 1:2 with points pt 7 ps 1.4 lc 1 title "enwik6: nncomp", \
     $L0c using 1:2:3 with labels left offset char 0.9,0.5 font ",9" notitle, \
     $P1c using 1:2 with points pt 5 ps 1.4 lc 2 title "enwik6: baselines", \
     $L1c using 1:2:3 with labels left offset char 0.9,0.5 font ",9" notitle
set xlabel "decompression wall time, s (log scale)"
plot $P0d using 1:2 with points pt 7 ps 1.4 lc 1 title "enwik6: nncomp", \
     $L0d using 1:2:3 with labels left offset char 0.9,0.5 font ",9" notitle, \
     $P1d using 1:2 with points pt 5 ps 1.4 lc 2 title "enwik6: baselines", \
     $L1d using 1:2:3 with labels left offset char 0.9,0.5 font ",9" notitle
unset multiplot
