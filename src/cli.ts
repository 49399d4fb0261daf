process.stderr.write("longrope-qa: not built yet\n");
process.exitCode = 1;
