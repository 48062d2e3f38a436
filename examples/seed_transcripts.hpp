// What each seed program prints, as current asyncio (3.12) prints it, one table per
// example pair: the coroutine example and its `_fiber` twin both check their transcript
// against it (see seed_common.hpp). Where a seed's own printout differs, the example's
// comment says how and why.
#pragma once

#include <string>
#include <vector>

namespace seed_transcripts {

using transcript = std::vector<std::string>;

// Task names count up across the program (Task-1, Task-2, ...): each part's listing
// names the tasks of that part.
inline const transcript cancel_on_ctrl_c{
    "-- 1. all_tasks(), cancel each: Ctrl+C right away",
    "Waiting: 1",
    "Waiting: 2",
    "Waiting: 2",
    "listed: Task-1 PENDING",
    "listed: Task-2 PENDING",
    "listed: Task-3 PENDING",
    "listed: Task-4 PENDING",  // the task running wait()
    "True",
    "True",
    "True",
    "True",
    "TIME: 0.5",
    "-- 2. all_tasks(), cancel each: Ctrl+C at 1.4 s",
    "Waiting: 1",
    "Waiting: 2",
    "Waiting: 4",
    "listed: Task-6 PENDING",  // Task-5 has finished
    "listed: Task-7 PENDING",
    "listed: Task-8 PENDING",
    "True",
    "True",
    "True",
    "TIME: 1.4",
    "-- 3. gather(*all_tasks()).cancel()",
    "Waiting: 1",
    "Waiting: 2",
    "Waiting: 4",
    "listed: Task-9 PENDING",  // main
    "listed: Task-12 PENDING",
    "True",
    "TIME: 3.1",
    "-- 4. loop.stop() in the KeyboardInterrupt handler",
    "Working...",
    "Working...",
    "Working...",
    "Work 1 done",
    "after loop.stop():",
    "listed: Task-14 PENDING",
    "listed: Task-15 PENDING",
    "-- 5. each task's state before and after cancel()",
    "Working...",
    "Working...",
    "Working...",
    "Work 1 done",
    "cancel task: Task-17 PENDING",
    "cancelled: True PENDING",
    "cancel task: Task-18 PENDING",
    "cancelled: True PENDING",
    "-- 6. run(main) and Ctrl+C",
    "Waiting: 1",
    "Waiting: 2",
    "Waiting: 4",
    "KeyboardInterrupt: the remaining tasks were cancelled"};

}  // namespace seed_transcripts
